using System.CommandLine;
using CnnClassify.Export;
using CnnClassify.Training;

namespace CnnClassify.Cli;

/// <summary><c>export</c>: writes a checkpoint's model as an ONNX file for ONNX Runtime.</summary>
internal static class ExportCommand
{
    public static Command Create(TextWriter output)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint written by train.", Required = true };
        var outPath = new Option<string>("--out") { Description = "The ONNX file to write.", Required = true };
        var pixels = new Option<bool>("--include-preprocessing") { Description = "Take uint8 pixels and scale and normalise them in the graph." };
        var command = new Command("export", "Write a checkpoint's model as an ONNX file (opset 17) for ONNX Runtime.") { checkpoint, outPath, pixels };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(outPath)!;
            if (string.IsNullOrWhiteSpace(path))
            {
                throw new UsageException("--out needs the path of the ONNX file to write.");
            }

            using var model = Checkpoint.LoadModel(parse.GetValue(checkpoint)!);
            model.ExportOnnx(path, new OnnxExportOptions { IncludePreprocessing = parse.GetValue(pixels) });
            var configuration = model.Configuration;
            var input = parse.GetValue(pixels) ? "pixels (uint8)" : "input (float32, normalised)";
            output.WriteLine($"wrote {path}: {configuration.Architecture ?? model.GetType().Name}, {input} [batch, {configuration.InChannels}, {configuration.InputHeight}, {configuration.InputWidth}] -> logits [batch, {configuration.NumClasses}], {new FileInfo(path).Length / 1e6:F1} MB");
            return 0;
        });
        return command;
    }
}
