using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CnnClassify.Inference;
using CnnClassify.Interop;
using CnnClassify.Models;

namespace CnnClassify.Cli;

/// <summary>
/// <c>predict</c>: classifies images with a checkpoint (<c>--checkpoint</c>), or with weights trained
/// elsewhere (<c>--model</c>, <c>--weights</c>, <c>--num-classes</c> and the preprocessing options).
/// </summary>
internal static class PredictCommand
{
    public static Command Create(TextWriter output)
    {
        var images = new Argument<string[]>("images") { Description = "Image files.", Arity = ArgumentArity.OneOrMore };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "A checkpoint written by train." };
        var model = new Option<string?>("--model") { Description = "Zoo model name, with --weights." };
        var weights = new Option<string?>("--weights") { Description = "A .pth or .safetensors state dict, with --model." };
        var classes = new Option<int?>("--num-classes") { Description = "Classes of the weights, with --model." };
        var channels = new Option<int?>("--in-channels") { Description = "Input channels, with --model (default: the model's)." };
        var size = new Option<int?>("--size") { Description = "Input height and width, with --model (default: the model's, after resizing the shorter side and cropping the centre)." };
        var mean = new Option<string?>("--mean") { Description = "Per-channel means, such as 0.485,0.456,0.406, with --model." };
        var std = new Option<string?>("--std") { Description = "Per-channel standard deviations, with --model." };
        var top = new Option<int>("--top") { Description = "Classes to list per image.", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print JSON with every class's probability." };
        var tta = new Option<bool>("--tta") { Description = "Average over a horizontal flip." };
        var command = new Command("predict", "Classify images.") { images, checkpoint, model, weights, classes, channels, size, mean, std, top, json, tta };
        command.SetAction(parse =>
        {
            using var predictor = Create(parse, checkpoint, model, weights, classes, channels, size, mean, std, tta);
            var k = parse.GetValue(top) >= 1 ? parse.GetValue(top) : throw new UsageException("--top must be at least 1.");
            var predictions = predictor.PredictBatch(parse.GetValue(images)!);
            if (parse.GetValue(json))
            {
                var array = new JsonArray(predictions.Select(p => (JsonNode)new JsonObject
                {
                    ["image"] = p.Source,
                    ["class"] = p.ClassName,
                    ["index"] = p.ClassIndex,
                    ["confidence"] = p.Confidence,
                    ["probabilities"] = new JsonObject(p.ClassNames.Select((name, i) => KeyValuePair.Create(name, (JsonNode?)p.Probabilities[i]))),
                }).ToArray());
                output.WriteLine(array.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }

            foreach (var prediction in predictions)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{prediction.Source}: {prediction.ClassName} ({prediction.Confidence:P1})"));
                foreach (var entry in prediction.TopK(k).Skip(1))
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {entry.Name} ({entry.Probability:P1})"));
                }
            }

            return 0;
        });
        return command;
    }

    private static Predictor Create(ParseResult parse, Option<string?> checkpoint, Option<string?> model, Option<string?> weights, Option<int?> classes,
        Option<int?> channels, Option<int?> size, Option<string?> mean, Option<string?> std, Option<bool> tta)
    {
        if (parse.GetValue(checkpoint) is { } path)
        {
            if (parse.GetValue(model) is not null || parse.GetValue(weights) is not null)
            {
                throw new UsageException("Give either --checkpoint, or --model with --weights, not both.");
            }

            return Predictor.FromCheckpoint(path, new PredictorOptions { TestTimeAugmentation = parse.GetValue(tta) });
        }

        var name = parse.GetValue(model) ?? throw new UsageException("Give --checkpoint CKPT, or --model NAME --weights FILE --num-classes N.");
        var file = parse.GetValue(weights) ?? throw new UsageException("--model needs --weights FILE.");
        var count = parse.GetValue(classes) ?? throw new UsageException("--model needs --num-classes N.");
        if (!ModelZoo.Names.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            throw new UsageException($"--model: unknown model '{name}'. Known models: {string.Join(", ", ModelZoo.Names)}.");
        }

        var means = CliApp.Numbers(parse.GetValue(mean), "--mean");
        var stds = CliApp.Numbers(parse.GetValue(std), "--std");
        if (means.Length != stds.Length)
        {
            throw new UsageException("--mean and --std need the same number of values.");
        }

        var network = ModelZoo.Create(name, new ModelOptions { NumClasses = count, InChannels = parse.GetValue(channels), ImageSize = parse.GetValue(size) });
        network.LoadWeights(file);
        var configuration = network.Configuration;
        if (parse.GetValue(size) is { } side)
        {
            configuration = configuration with { InputHeight = side, InputWidth = side, Preprocessing = configuration.Preprocessing with { ResizeSize = null } };
        }

        if (parse.GetValue(mean) is not null)
        {
            configuration = configuration with { Preprocessing = configuration.Preprocessing with { Mean = means, Std = stds } };
        }

        network.Configuration = configuration;
        return new Predictor(network, new PredictorOptions { TestTimeAugmentation = parse.GetValue(tta) });
    }
}
