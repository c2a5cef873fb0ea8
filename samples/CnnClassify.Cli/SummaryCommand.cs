using System.CommandLine;
using CnnClassify.Inference;
using CnnClassify.Models;

namespace CnnClassify.Cli;

/// <summary><c>summary MODEL [--num-classes N] [--in-channels C] [--image-size S]</c>: the layer table and totals.</summary>
internal static class SummaryCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Argument<string>("model") { Description = $"A zoo model: {string.Join(", ", ModelZoo.Names)}." };
        var classes = new Option<int>("--num-classes") { Description = "Classes the head predicts.", DefaultValueFactory = _ => 1000 }.Between(1, ModelLimits.MaxClasses);
        var channels = new Option<int?>("--in-channels") { Description = "Input channels (default: the model's own, 1 for lenet5 and simplecnn, else 3)." }.Between(1, ModelLimits.MaxInChannels);
        var size = new Option<int?>("--image-size") { Description = "Input height and width (default: the model's own, 28 for lenet5 and simplecnn, 299 for inception_v3, else 224)." }.Between(1, ModelLimits.MaxInputSide);
        var command = new Command("summary", "Print a model's layers, output shapes, parameters and MACs.") { model, classes, channels, size };
        command.SetAction(parse =>
        {
            var name = parse.GetValue(model)!;
            if (!ModelZoo.Names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw new UsageException($"Unknown model '{name}'. Known models: {string.Join(", ", ModelZoo.Names)}.");
            }

            CliApp.CheckImageSize(name, parse.GetValue(size), "--image-size");

            using var network = ModelZoo.Create(name, new ModelOptions { NumClasses = parse.GetValue(classes), InChannels = parse.GetValue(channels), ImageSize = parse.GetValue(size) });
            var input = network.Configuration;
            var (height, width) = parse.GetValue(size) is { } side ? (side, side) : (input.InputHeight, input.InputWidth);
            output.WriteLine(network.Summary(SampleShape.Image(input.InChannels, height, width)));
            return 0;
        });
        return command;
    }
}
