using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CnnClassify.Data;
using CnnClassify.Native;

namespace CnnClassify.Benchmarks;

/// <summary>
/// The seed's frozen-backbone ResNet-18 recipe on a folder of phone-sized JPEGs, end to end:
/// <c>cnnclassify train --pretrained --freeze-backbone --augment none</c> against
/// <c>pytorch_reference.py photos</c> (torchvision ImageFolder, PIL, a 2-worker DataLoader), in
/// turns; then JPEG decoding alone: ImageSharp at full size, libjpeg-turbo (SkiaSharp) at full
/// size and scaled for a 256-pixel resize, and PIL at full size and in draft mode.
/// </summary>
internal static partial class PhotoFolderBenchmark
{
    private static readonly string[] NoCache = ["--no-feature-cache"];

    public static void Run(string[] args)
    {
        var data = Path.GetFullPath(Arguments.Option(args, "--data", "/tmp/cnnclassify-photos"));
        var rounds = int.Parse(Arguments.Option(args, "--rounds", "2"), CultureInfo.InvariantCulture);
        var lr = Arguments.Option(args, "--lr", "0.01");
        var batch = Arguments.Option(args, "--batch-size", "16");
        var torchHome = data + "-torch";
        var weights = Path.Combine(torchHome, "hub", "checkpoints", "resnet18-f37072fd.pth");
        var repository = Repository();
        var reference = Path.Combine(repository, "benchmarks", "pytorch_reference.py");
        Console.WriteLine($"CPU: {CpuCapabilities.ProcessorName()}, {CpuCapabilities.Current.Describe()}, {Environment.ProcessorCount} logical processors");
        if (!Directory.Exists(Path.Combine(data, "test")))
        {
            Console.WriteLine(Process("/usr/bin/python3", [reference, "make-photos", "--out", data, "--weights", weights,
                "--per-class", Arguments.Option(args, "--per-class", "40"), "--test-per-class", Arguments.Option(args, "--test-per-class", "20")], torchHome).Output.Trim());
        }

        if (!args.Contains("--decode-only"))
        {
            var cli = Path.Combine(repository, "samples", "CnnClassify.Cli", "bin", "Release", "net10.0", "CnnClassify.Cli.dll");
            for (var round = 1; round <= rounds; round++)
            {
                var outDir = Path.Combine(Path.GetTempPath(), $"cnnclassify-photos-run-{round}");
                var ours = Process("dotnet", [cli, "train", .. (args.Contains("--no-cache") ? NoCache : []), "--model", "resnet18", "--dataset", "imagefolder", "--data", data, "--pretrained",
                    "--freeze-backbone", "--augment", "none", "--epochs", "3", "--batch-size", batch, "--lr", lr, "--workers", "2", "--seed", "0", "--out", outDir], torchHome);
                Console.WriteLine($"round {round}, cnnclassify train: {ours.Seconds:F1} s wall, exit {ours.Code}");
                foreach (var line in ours.Output.Split('\n').Where(l => CliLine().IsMatch(l)))
                {
                    Console.WriteLine($"  {line.Trim()}");
                }

                var theirs = Process("/usr/bin/python3", [reference, "photos", "--data", data, "--weights", weights, "--lr", lr, "--batch-size", batch], torchHome);
                Console.WriteLine($"round {round}, pytorch_reference.py photos: {theirs.Seconds:F1} s wall, exit {theirs.Code}");
                foreach (var line in theirs.Output.Split('\n').Where(l => l.StartsWith("epoch", StringComparison.Ordinal) || l.StartsWith("pytorch", StringComparison.Ordinal)))
                {
                    Console.WriteLine($"  {line.Trim()}");
                }

                Console.WriteLine($"round {round}: cnnclassify is {theirs.Seconds / ours.Seconds:F2}x faster end to end");
                Directory.Delete(outDir, recursive: true);
            }
        }

        Decoding(data);
        Console.WriteLine(Process("/usr/bin/python3", [reference, "decode", "--data", data], torchHome).Output.Trim());
    }

    /// <summary>Images/s of each decoder over the first 40 training files, once warmed up.</summary>
    private static void Decoding(string data)
    {
        var files = Directory.EnumerateFiles(Path.Combine(data, "train"), "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(40).ToList();
        (string Name, ImageDecoder Decoder)[] decoders =
        [
            ("ImageSharp 2.1, full size", new ImageDecoder()),
            ("libjpeg-turbo (SkiaSharp), full size", new ImageDecoder(decodeSize: DecodeSize.ShortSide(100_000))),
            ("libjpeg-turbo (SkiaSharp), scaled for Resize(256)", new ImageDecoder(decodeSize: DecodeSize.ShortSide(256))),
        ];
        foreach (var (name, decoder) in decoders)
        {
            decoder.Decode(files[0]).Dispose();
            var clock = Stopwatch.StartNew();
            long[] shape = [];
            foreach (var file in files)
            {
                using var image = decoder.Decode(file);
                shape = image.shape;
            }

            Console.WriteLine($"{name}: {files.Count / clock.Elapsed.TotalSeconds:F1} images/s over {files.Count} files, decoded to {shape[2]}x{shape[1]}");
        }

        // What scaled decoding changes after the pipeline's resize and crop, in 0-255 levels.
        var pipeline = new Data.Transforms.Compose(new Data.Transforms.Resize(256), new Data.Transforms.CenterCrop(224));
        var (mean, max, mismatched) = (0.0, 0.0, 0.0);
        foreach (var file in files.Take(10))
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            var full = pipeline.Apply(decoders[0].Decoder.Decode(file), new Random(0)).to(TorchSharp.torch.ScalarType.Float32);
            var scaled = pipeline.Apply(decoders[2].Decoder.Decode(file), new Random(0)).to(TorchSharp.torch.ScalarType.Float32);
            var difference = full.sub(scaled).abs();
            mean += difference.mean().item<float>() / 10;
            max = Math.Max(max, difference.max().item<float>());
            mismatched += difference.gt(2).to(TorchSharp.torch.ScalarType.Float32).mean().item<float>() / 10;
        }

        Console.WriteLine($"Resize(256) + CenterCrop(224) after scaled libjpeg-turbo decoding against after full ImageSharp decoding, 10 photos: mean |difference| {mean:F2} levels, max {max:F0}, {mismatched:P2} of values differ by more than 2");
    }

    private static (int Code, double Seconds, string Output) Process(string program, string[] arguments, string torchHome)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["TORCH_HOME"] = torchHome;
        var clock = Stopwatch.StartNew();
        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, clock.Elapsed.TotalSeconds, output + error.Result);
    }

    private static string Repository()
    {
        var directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "CnnClassify.sln")))
        {
            directory = Path.GetDirectoryName(directory);
        }

        return directory ?? throw new DirectoryNotFoundException("The benchmark runs from inside the repository (CnnClassify.sln not found above it).");
    }

    [GeneratedRegex("^(precision|backbone|epoch \\d|test accuracy|time:)")]
    private static partial Regex CliLine();
}
