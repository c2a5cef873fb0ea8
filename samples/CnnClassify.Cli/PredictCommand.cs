using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CnnClassify.Inference;
using CnnClassify.Models;
using CnnClassify.Runtime;
using CnnClassify.Serialization;
using CnnClassify.Training;

namespace CnnClassify.Cli;

/// <summary>
/// <c>predict</c>: classifies images with a checkpoint (<c>--checkpoint</c>), with published
/// weights (<c>--model</c> and <c>--pretrained</c>), or with weights trained elsewhere
/// (<c>--model</c>, <c>--weights</c>, <c>--num-classes</c> and the preprocessing options).
/// </summary>
internal static class PredictCommand
{
    public static Command Create(TextWriter output)
    {
        var images = new Argument<string[]>("images") { Description = "Image files.", Arity = ArgumentArity.ZeroOrMore };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "A checkpoint written by train." };
        var model = new Option<string?>("--model") { Description = "Zoo model name, with --weights." };
        var weights = new Option<string?>("--weights") { Description = "A .pth or .safetensors state dict, with --model." };
        var pretrained = new Option<string?>("--pretrained") { Description = "Published weights for --model: DEFAULT (when no name is given), IMAGENET1K_V1 or IMAGENET1K_V2; see 'cnnclassify weights'.", Arity = ArgumentArity.ZeroOrOne };
        var classes = new Option<int?>("--num-classes") { Description = "Classes of the weights, with --model." }.Between(1, ModelLimits.MaxClasses);
        var channels = new Option<int?>("--in-channels") { Description = "Input channels, with --model (default: the model's)." }.Between(1, ModelLimits.MaxInChannels);
        var size = new Option<int?>("--size") { Description = "Input height and width, with --model (default: the model's, after resizing the shorter side and cropping the centre)." }.Between(1, ModelLimits.MaxInputSide);
        var mean = new Option<string?>("--mean") { Description = "Per-channel means, such as 0.485,0.456,0.406, with --model." };
        var std = new Option<string?>("--std") { Description = "Per-channel standard deviations, with --model." };
        var top = new Option<int>("--top") { Description = "Classes to list per image.", DefaultValueFactory = _ => 1 }.AtLeast(1);
        var json = new Option<bool>("--json") { Description = "Print JSON: per image, the predicted class and every class's probability ('classes' and 'probabilities', in class order)." };
        var testTime = new TestTimeArguments();
        var amp = new Option<string>("--amp") { Description = "auto (bf16 on a CPU with native bf16, fp16 on CUDA, else none), none, bf16 or fp16.", DefaultValueFactory = _ => "auto" };
        amp.AcceptOnlyFromAmong("auto", "none", "bf16", "fp16");
        var command = new Command("predict", "Classify images.") { images, checkpoint, model, weights, pretrained, classes, channels, size, mean, std, top, json, amp };
        foreach (var option in testTime.All)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) =>
        {
            // "--pretrained photo.jpg": an optional value that is not a weights name is the first image.
            var files = parse.GetValue(images)?.ToList() ?? [];
            var weightsName = parse.GetValue(pretrained);
            if (weightsName is not null && !IsWeightsName(weightsName))
            {
                files.Insert(0, weightsName);
                weightsName = null;
            }

            if (files.Count == 0)
            {
                throw new UsageException("Give at least one image file to classify.");
            }

            var k = parse.GetValue(top);
            using var predictor = Create(parse, checkpoint, model, weights, pretrained, weightsName, classes, channels, size, mean, std, configuration => Options(parse, testTime, amp, configuration), cancellationToken);
            var predictions = predictor.PredictBatch(files);
            if (parse.GetValue(json))
            {
                var array = new JsonArray(predictions.Select(p => (JsonNode)new JsonObject
                {
                    ["image"] = p.Source,
                    ["class"] = p.ClassName,
                    ["index"] = p.ClassIndex,
                    ["confidence"] = p.Confidence,
                    // The predicted classes: the top one, or every one at or above its threshold for a multi-label model.
                    ["labels"] = new JsonArray(p.Labels.Select(l => (JsonNode)new JsonObject { ["class"] = l.Name, ["index"] = l.Index, ["probability"] = l.Probability }).ToArray()),
                    // Two arrays in class order: class names need not be unique (ImageNet's list
                    // has "crane" and "maillot" twice), so they cannot be an object's keys.
                    ["classes"] = new JsonArray(p.ClassNames.Select(name => (JsonNode?)name).ToArray()),
                    ["probabilities"] = new JsonArray(p.Probabilities.Select(value => (JsonNode?)value).ToArray()),
                }).ToArray());
                output.WriteLine(array.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                return Task.FromResult(0);
            }

            if (predictor.Task.Name == TaskNames.MultiLabel)
            {
                foreach (var prediction in predictions)
                {
                    var found = prediction.Labels.Count == 0 ? "no label at or above its threshold"
                        : string.Join(", ", prediction.Labels.Select(l => string.Create(CultureInfo.InvariantCulture, $"{TerminalText.Escape(l.Name)} ({l.Probability:P1})")));
                    output.WriteLine($"{TerminalText.Escape(prediction.Source)}: {found}");
                }

                return Task.FromResult(0);
            }

            foreach (var prediction in predictions)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{TerminalText.Escape(prediction.Source)}: {TerminalText.Escape(prediction.ClassName)} ({prediction.Confidence:P1})"));
                foreach (var entry in prediction.TopK(k).Skip(1))
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {TerminalText.Escape(entry.Name)} ({entry.Probability:P1})"));
                }
            }

            return Task.FromResult(0);
        });
        return command;
    }

    private static bool IsWeightsName(string value) =>
        string.Equals(value, WeightCatalog.Default, StringComparison.OrdinalIgnoreCase)
        || WeightCatalog.All.Any(w => string.Equals(w.Name, value, StringComparison.OrdinalIgnoreCase));

    // The test-time views are made from the model's description (its input size and preprocessing).
    private static PredictorOptions Options(ParseResult parse, TestTimeArguments testTime, Option<string> amp, ModelConfiguration configuration) => new()
    {
        TestTimeAugmentation = testTime.For(parse, configuration),
        Precision = parse.GetValue(amp) switch
        {
            "none" => Runtime.Precision.Fp32,
            "bf16" => Runtime.Precision.Bf16,
            "fp16" => Runtime.Precision.Fp16,
            _ => Runtime.Precision.Auto,
        },
    };

    private static Predictor Create(ParseResult parse, Option<string?> checkpoint, Option<string?> model, Option<string?> weights, Option<string?> pretrained, string? weightsName, Option<int?> classes,
        Option<int?> channels, Option<int?> size, Option<string?> mean, Option<string?> std, Func<ModelConfiguration, PredictorOptions> options, CancellationToken cancellationToken)
    {
        if (parse.GetValue(checkpoint) is { } path)
        {
            if (parse.GetValue(model) is not null || parse.GetValue(weights) is not null || parse.GetResult(pretrained) is not null)
            {
                throw new UsageException("Give either --checkpoint, or --model with --pretrained or --weights, not both.");
            }

            return Predictor.FromCheckpoint(path, options(Checkpoint.ReadConfiguration(path)));
        }

        var name = parse.GetValue(model) ?? throw new UsageException("Give --checkpoint CKPT, --model NAME --pretrained, or --model NAME --weights FILE --num-classes N.");
        if (parse.GetResult(pretrained) is not null)
        {
            if (parse.GetValue(weights) is not null)
            {
                throw new UsageException("Give --pretrained or --weights, not both.");
            }

            if (!ModelZoo.Names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw new UsageException($"--model: unknown model '{name}'. Known models: {string.Join(", ", ModelZoo.Names)}.");
            }

            TrainCommand.Published(name, weightsName ?? WeightCatalog.Default);

            // Fetched here so that Ctrl-C stops the download and removes its partial file.
            WeightCatalog.Get(name, weightsName ?? WeightCatalog.Default).Fetch(new DownloadProgressLine(), cancellationToken);
            var published = ModelZoo.Create(name, weights: weightsName ?? WeightCatalog.Default, progress: new DownloadProgressLine());
            return new Predictor(published, options(published.Configuration));
        }

        var file = parse.GetValue(weights) ?? throw new UsageException("--model needs --weights FILE.");
        var count = parse.GetValue(classes) ?? throw new UsageException("--model needs --num-classes N.");
        if (!ModelZoo.Names.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            throw new UsageException($"--model: unknown model '{name}'. Known models: {string.Join(", ", ModelZoo.Names)}.");
        }

        CliApp.CheckImageSize(name, parse.GetValue(size), "--size");
        var means = CliApp.Numbers(parse.GetValue(mean), "--mean");
        var stds = CliApp.Numbers(parse.GetValue(std), "--std");
        if (means.Length != stds.Length)
        {
            throw new UsageException("--mean and --std need the same number of values.");
        }

        if (ModelLimits.CheckNormalization(means, stds) is { } problem)
        {
            throw new UsageException($"--mean/--std: {problem}.");
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
        return new Predictor(network, options(configuration));
    }
}
