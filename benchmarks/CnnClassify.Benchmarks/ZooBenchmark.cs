using System.Diagnostics;
using System.Globalization;
using CnnClassify.Models;
using TorchSharp;

namespace CnnClassify.Benchmarks;

/// <summary>
/// Evaluation-mode forward throughput of zoo models against torchvision's, float32, batch 16 at
/// each model's default input, after two warm-up batches over five timed ones, in rounds that
/// take turns (ours, then PyTorch 2.6 in the Debian 13 root, per round), with the medians. The
/// default models are one of each newer family; <c>--models a,b</c> picks others.
/// </summary>
internal static class ZooBenchmark
{
    private const int Batch = 16;
    private const int Batches = 5;

    public static void Run(string[] args)
    {
        var names = Arguments.Option(args, "--models", "resnet50,resnext50_32x4d,convnext_tiny,efficientnet_b1,efficientnet_v2_s,mobilenet_v3_large,mnasnet1_0,regnet_y_1_6gf,shufflenet_v2_x1_0,squeezenet1_1,inception_v3,densenet201").Split(',');
        var rounds = int.Parse(Arguments.Option(args, "--rounds", "3"), CultureInfo.InvariantCulture);
        var reference = Path.Combine(Repository(), "benchmarks", "pytorch_reference.py");
        Console.WriteLine($"Forward passes in evaluation mode, float32, batch {Batch}, {torch.get_num_threads()} threads, {Environment.ProcessorCount} cores; {rounds} rounds in turns, medians");
        var ours = names.ToDictionary(n => n, _ => new List<double>());
        var theirs = names.ToDictionary(n => n, _ => new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var name in names)
            {
                ours[name].Add(Measure(name));
            }

            var python = Process("/usr/bin/python3", [reference, "forward", "--models", string.Join(',', names), "--batch-size", $"{Batch}", "--batches", $"{Batches}"]);
            foreach (var line in python.Split('\n').Where(l => l.Split(' ').Length == 2 && names.Contains(l.Split(' ')[0])))
            {
                theirs[line.Split(' ')[0]].Add(double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture));
            }

            if (round == 0)
            {
                Console.WriteLine(python.Split('\n')[0]);
            }
        }

        Console.WriteLine("| Model | Input | MACs | CnnClassify images/s | PyTorch 2.6 images/s | Ratio |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: |");
        foreach (var name in names)
        {
            using var model = ModelZoo.Create(name);
            var size = model.Configuration.InputHeight;
            var (mine, torchvision) = (Median(ours[name]), Median(theirs[name]));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {size}x{size} | {model.Summary().MultiplyAccumulates / 1e9:F2} G | {mine:F1} | {torchvision:F1} | {mine / torchvision:F2} |"));
        }
    }

    private static double Measure(string name)
    {
        torch.manual_seed(0);
        using var model = ModelZoo.Create(name);
        model.eval();
        var size = model.Configuration.InputHeight;
        using var noGrad = torch.no_grad();
        using var input = torch.randn(Batch, 3, size, size);
        for (var i = 0; i < 2; i++)
        {
            using var warm = model.call(input);
        }

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Batches; i++)
        {
            using var output = model.call(input);
        }

        return Batch * Batches / clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values) => values.Count == 0 ? double.NaN : values.Order().ElementAt(values.Count / 2);

    private static string Process(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output + error.Result;
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
}
