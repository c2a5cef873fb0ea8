using System.CommandLine;
using System.Globalization;
using CnnClassify.Explanation;
using CnnClassify.Inference;

namespace CnnClassify.Cli;

/// <summary><c>explain</c>: class activation maps of a checkpoint's predictions, drawn over the images.</summary>
internal static class ExplainCommand
{
    private static readonly Dictionary<string, CamMethod> Methods = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gradcam"] = CamMethod.GradCam,
        ["gradcampp"] = CamMethod.GradCamPlusPlus,
        ["scorecam"] = CamMethod.ScoreCam,
    };

    public static Command Create(TextWriter output)
    {
        var images = new Argument<string[]>("images") { Description = "Image files.", Arity = ArgumentArity.OneOrMore };
        var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint written by train.", Required = true };
        var method = new Option<string>("--method") { Description = "gradcam, gradcampp or scorecam (one forward pass per channel: slow).", DefaultValueFactory = _ => "gradcam" };
        method.AcceptOnlyFromAmong([.. Methods.Keys]);
        var layer = new Option<string?>("--layer") { Description = "The layer's state-dict path, such as layer4 or features.28 (default: the last convolutional stage)." };
        var className = new Option<string?>("--class") { Description = "The class to explain (default: each image's predicted class; for a multi-label model, each predicted label)." };
        var outFile = new Option<string>("--out") { Description = "The PNG to write: each image beside its heatmap.", Required = true };
        var command = new Command("explain", "Show where the model looks: Grad-CAM, Grad-CAM++ or Score-CAM heatmaps over the images.")
        {
            images, checkpoint, method, layer, className, outFile,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(outFile)!;
            if (Directory.Exists(path))
            {
                throw new UsageException($"--out '{path}' is a folder; give the PNG file to write.");
            }

            using var predictor = Predictor.FromCheckpoint(parse.GetValue(checkpoint)!);
            using var explained = predictor.Explain(parse.GetValue(images)!, Methods[parse.GetValue(method)!], parse.GetValue(layer), parse.GetValue(className));
            explained.Save(path);
            for (var i = 0; i < explained.Sources.Count; i++)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{TerminalText.Escape(explained.Sources[i])}: predicted {TerminalText.Escape(explained.PredictedClass(i))}; map of {TerminalText.Escape(explained.ExplainedClass(i))} (p = {explained.Maps.Probabilities[i]:0.000})"));
            }

            output.WriteLine($"{parse.GetValue(method)} at '{explained.Maps.Layer}' -> {path}");
            return 0;
        });
        return command;
    }
}
