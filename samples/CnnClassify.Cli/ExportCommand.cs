using System.CommandLine;
using CnnClassify.Data;
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
        var int8 = new Option<bool>("--int8") { Description = "Quantize to int8 (QDQ) for ONNX Runtime's integer kernels; needs --calibration." };
        var calibration = new Option<string?>("--calibration") { Description = "Calibration images for --int8: fashion-mnist, mnist or cifar10 (their training split), or a folder with one subfolder per class (all of it, or its train/ folder)." };
        var data = new Option<string?>("--data") { Description = "The folder of a named calibration dataset." };
        var imageCount = new Option<int>("--calibration-images") { Description = "How many calibration images to use.", DefaultValueFactory = _ => 512 }.Between(1, 100_000);
        var method = new Option<string>("--calibration-method") { Description = "minmax, percentile (99.999) or entropy.", DefaultValueFactory = _ => "minmax" };
        method.AcceptOnlyFromAmong("minmax", "percentile", "entropy");
        var keepFloat = new Option<string[]>("--keep-float") { Description = "Layers (state-dict paths, such as conv1 or fc) that stay float32.", AllowMultipleArgumentsPerToken = true };
        var fullRange = new Option<bool>("--full-range-weights") { Description = "8-bit weights instead of 7-bit, for CPUs with VNNI or ARM only." };
        var command = new Command("export", "Write a checkpoint's model as an ONNX file (opset 17) for ONNX Runtime, in float32 or int8.")
        {
            checkpoint, outPath, pixels, int8, calibration, data, imageCount, method, keepFloat, fullRange,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(outPath)!;
            if (string.IsNullOrWhiteSpace(path))
            {
                throw new UsageException("--out needs the path of the ONNX file to write.");
            }

            if (parse.GetValue(int8) != (parse.GetValue(calibration) is not null))
            {
                throw new UsageException(parse.GetValue(int8) ? "--int8 needs --calibration DATA, the images to calibrate on." : "--calibration is for --int8.");
            }

            using var model = Checkpoint.LoadModel(parse.GetValue(checkpoint)!);
            var configuration = model.Configuration;
            var options = new OnnxExportOptions { IncludePreprocessing = parse.GetValue(pixels) };
            if (parse.GetValue(calibration) is { } source)
            {
                var warnings = new WarningLogger(output);
                var images = await CalibrationImagesAsync(source, parse.GetValue(data), configuration, warnings).ConfigureAwait(false);
                options = options with
                {
                    Quantization = new Int8Quantization
                    {
                        Calibration = new DataLoader(images, configuration.EvalTransform(), new DataLoaderOptions { BatchSize = 64, Shuffle = true, Logger = warnings }),
                        Images = parse.GetValue(imageCount),
                        Method = parse.GetValue(method) switch { "percentile" => CalibrationMethod.Percentile, "entropy" => CalibrationMethod.Entropy, _ => CalibrationMethod.MinMax },
                        KeepFloat = parse.GetValue(keepFloat) ?? [],
                        ReduceRange = !parse.GetValue(fullRange),
                    },
                };
            }

            try
            {
                model.ExportOnnx(path, options);
            }
            catch (ArgumentException ex) when (options.Quantization is not null)
            {
                throw new UsageException(ex.Message.Split(" (Parameter", 2)[0]);
            }

            var input = parse.GetValue(pixels) ? "pixels (uint8)" : "input (float32, normalised)";
            var precision = options.Quantization is { } q ? $"int8 calibrated by {parse.GetValue(method)} on {Math.Min(q.Images, q.Calibration.Dataset.Count)} images" : "float32";
            output.WriteLine($"wrote {path}: {configuration.Architecture ?? model.GetType().Name}, {input} [batch, {configuration.InChannels}, {configuration.InputHeight}, {configuration.InputWidth}] -> logits [batch, {configuration.NumClasses}], {precision}, {new FileInfo(path).Length / 1e6:F1} MB");
            return 0;
        });
        return command;
    }

    // A named dataset's training split, or every image of a folder with one subfolder per class
    // (its train/ folder when it has one), decoded as the model's preprocessing says.
    private static async Task<IImageDataset> CalibrationImagesAsync(string source, string? folder, Models.ModelConfiguration configuration, WarningLogger warnings)
    {
        if (CliData.DatasetNames.Contains(source) && source is not ("imagefolder" or "csv"))
        {
            var loaded = await CliData.LoadAsync(source, folder, 0.1, 0, configuration.InputHeight, warnings, configuration.Preprocessing).ConfigureAwait(false);
            return loaded.Train;
        }

        var root = Directory.Exists(Path.Combine(source, "train")) ? Path.Combine(source, "train") : source;
        var decode = configuration.Preprocessing.ResizeSize is { } side ? DecodeSize.ShortSide(side) : DecodeSize.Box(configuration.InputHeight, configuration.InputWidth);
        return new ImageFolderDataset(root, new ImageFolderOptions
        {
            ColorMode = configuration.ColorMode,
            Logger = warnings,
            DecodeSize = decode,
            ApplyExifOrientation = configuration.Preprocessing.ApplyExifOrientation,
        });
    }
}
