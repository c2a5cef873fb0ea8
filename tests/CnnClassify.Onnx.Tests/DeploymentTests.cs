using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CnnClassify.Onnx.Tests;

/// <summary>
/// The ONNX Runtime predictor in an application without LibTorch: it loads what the cnnclassify
/// CLI trains and exports, and gives the CLI's (LibTorch's) probabilities on PNG files.
/// </summary>
public class DeploymentTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("onnx-deploy-").FullName;

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void No_torchsharp_or_libtorch_assembly_reaches_an_application_that_uses_the_onnx_package()
    {
        var folder = AppContext.BaseDirectory;
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Contains("CnnClassify.Onnx.dll", files);
        Assert.Contains("CnnClassify.Core.dll", files);
        Assert.DoesNotContain(files, f => f!.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase) || f.Contains("libtorch", StringComparison.OrdinalIgnoreCase) || f == "CnnClassify.dll");
        var deps = File.ReadAllText(Path.Combine(folder, "CnnClassify.Onnx.Tests.deps.json"));
        Assert.DoesNotContain("TorchSharp", deps, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("libtorch", deps, StringComparison.OrdinalIgnoreCase);
        var references = typeof(OnnxPredictor).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.Contains("Microsoft.ML.OnnxRuntime", references);
        Assert.DoesNotContain(references, name => name!.StartsWith("TorchSharp", StringComparison.Ordinal) || name == "CnnClassify");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_model_trained_and_exported_by_the_cli_gives_the_cli_predictors_probabilities(bool pixels)
    {
        var data = Path.Combine(_directory, "photos");
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < 8; i++)
            {
                WritePng(Path.Combine(data, $"class{c}", $"{i}.png"), (c * 8) + i, 24 + (i * 7 % 30), 20 + (c * 11 % 25));
            }
        }

        var run = Path.Combine(_directory, "run");
        Cli("train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", data, "--image-size", "32", "--epochs", "1", "--batch-size", "8", "--workers", "0", "--out", run);
        var checkpoint = Path.Combine(run, "best.ckpt");
        var onnx = Path.Combine(_directory, "model.onnx");
        Cli(pixels ? ["export", "--checkpoint", checkpoint, "--out", onnx, "--include-preprocessing"] : ["export", "--checkpoint", checkpoint, "--out", onnx]);
        var images = Directory.GetFiles(data, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(6).ToArray();
        using var cliJson = JsonDocument.Parse(Cli(["predict", "--checkpoint", checkpoint, "--amp", "none", "--json", .. images]));

        using var predictor = new OnnxPredictor(onnx);
        var predictions = predictor.PredictBatch(images);

        Assert.Equal(["class0", "class1", "class2"], predictor.ClassNames);
        Assert.Equal(pixels, predictor.Description.TakesPixels);
        foreach (var (expected, actual) in cliJson.RootElement.EnumerateArray().Zip(predictions))
        {
            Assert.Equal(expected.GetProperty("image").GetString(), actual.Source);
            Assert.Equal(expected.GetProperty("class").GetString(), actual.ClassName);
            foreach (var (name, index) in predictor.ClassNames.Select((n, i) => (n, i)))
            {
                Assert.Equal(name, expected.GetProperty("classes")[index].GetString());
                var libtorch = expected.GetProperty("probabilities")[index].GetDouble();
                Assert.True(Math.Abs(libtorch - actual.Probabilities[index]) <= 1e-5, $"{actual.Source} {name}: LibTorch {libtorch}, ONNX Runtime {actual.Probabilities[index]}");
            }
        }

        // The same checkpoint in int8, calibrated on the training folder, runs in the same predictor
        // with no change and gives nearly the float file's probabilities.
        var int8 = Path.Combine(_directory, "model.int8.onnx");
        string[] quantize = ["export", "--checkpoint", checkpoint, "--out", int8, "--int8", "--calibration", data, "--calibration-images", "16"];
        var written = Cli(pixels ? [.. quantize, "--include-preprocessing"] : quantize);
        Assert.Contains("int8 calibrated by minmax on 16 images", written, StringComparison.Ordinal);
        using (var quantized = new OnnxPredictor(int8))
        {
            Assert.Null(predictor.Description.Quantization);
            Assert.Contains("\"calibration\":\"minmax\",\"calibration_images\":16", quantized.Description.Quantization, StringComparison.Ordinal);
            Assert.Equal(quantized.Description.Quantization, ((Inference.IImageClassifier)quantized).Description.Quantization);
            foreach (var (expected, actual) in predictions.Zip(quantized.PredictBatch(images)))
            {
                Assert.All(expected.Probabilities.Zip(actual.Probabilities), p => Assert.True(Math.Abs(p.First - p.Second) <= 0.05, $"{actual.Source}: float32 {p.First}, int8 {p.Second}"));
            }
        }

        // Several threads at once, one image each, give what the batch gave.
        var parallel = new Inference.Prediction[images.Length * 4];
        Parallel.For(0, parallel.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => parallel[i] = predictor.Predict(images[i % images.Length]));
        for (var i = 0; i < parallel.Length; i++)
        {
            var batch = predictions[i % images.Length];
            Assert.Equal(batch.Source, parallel[i].Source);
            Assert.All(batch.Probabilities.Zip(parallel[i].Probabilities), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-6));
        }
    }

    [Fact]
    public void A_file_without_cnnclassify_metadata_or_not_onnx_at_all_is_refused_with_its_name()
    {
        var garbage = Path.Combine(_directory, "garbage.onnx");
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5]);

        var error = Assert.Throws<InvalidDataException>(() => new OnnxPredictor(garbage));

        Assert.Contains(garbage, error.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => new OnnxPredictor(Path.Combine(_directory, "missing.onnx")));
    }

    // Runs the cnnclassify CLI built beside this project (LibTorch lives in that process only).
    private static string Cli(params string[] arguments)
    {
        var configuration = typeof(DeploymentTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "CnnClassify.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("No CnnClassify.sln above the test folder.");
        }

        var cli = Path.Combine(root, "samples", "CnnClassify.Cli", "bin", configuration, "net10.0", "CnnClassify.Cli.dll");
        Assert.True(File.Exists(cli), $"{cli} is missing; build the solution first.");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(cli);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(300_000), $"cnnclassify {arguments[0]} did not finish in 300 s");
        Assert.True(process.ExitCode == 0, $"cnnclassify {string.Join(' ', arguments)} exited {process.ExitCode}:\n{output}\n{error.Result}");
        return output;
    }

    private static void WritePng(string path, int seed, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(seed);
        using var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24((byte)((x * 9) + random.Next(40)), (byte)((y * 11) + (seed * 30)), (byte)random.Next(256));
            }
        }

        image.SaveAsPng(path);
    }
}
