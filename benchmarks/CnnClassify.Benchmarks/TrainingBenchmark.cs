using System.Diagnostics;
using System.Globalization;
using CnnClassify.Data;
using CnnClassify.Models;
using CnnClassify.Training;
using CnnClassify.Training.MixedPrecision;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Benchmarks;

/// <summary>
/// Training throughput of the Trainer in float32 and in bf16 autocast, on in-memory random
/// images, for the seed's SimpleCNN (28x28, batch 128) and ResNet-18 (32x32, batch 128).
/// Two warm-up epochs, then the median of three timed epochs.
/// </summary>
internal static class TrainingBenchmark
{
    public static void Run(string[] args)
    {
        var batches = int.Parse(Option(args, "--batches", "20"), CultureInfo.InvariantCulture);
        Console.WriteLine($"Trainer throughput, {Environment.ProcessorCount} cores, torch threads {torch.get_num_threads()}, {batches} batches per epoch");
        Console.WriteLine("| Model | Input | Batch | fp32 images/s | bf16 images/s | bf16 / fp32 |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: |");
        foreach (var (name, channels, size) in new[] { ("simplecnn", 1, 28), ("resnet18", 3, 32) })
        {
            var rates = new[] { Precision.Fp32, Precision.Bf16 }.Select(precision => Measure(name, channels, size, 128, batches, precision)).ToArray();
            Console.WriteLine($"| {name} | {channels}x{size}x{size} | 128 | {rates[0]:N0} | {rates[1]:N0} | {rates[1] / rates[0]:F2}x |");
        }
    }

    private static double Measure(string name, int channels, int size, int batchSize, int batches, Precision precision)
    {
        torch.manual_seed(0);
        var count = batchSize * batches;
        var images = torch.randint(0, 256, [count, channels, size, size], dtype: ScalarType.Byte);
        var labels = Enumerable.Range(0, count).Select(i => (long)(i % 10)).ToArray();
        var dataset = new TensorDataset(images, labels, [.. Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture))]);
        var loader = new DataLoader(dataset, new CnnClassify.Data.Transforms.ToTensor(), new DataLoaderOptions { BatchSize = batchSize, Shuffle = true, Workers = 1 });
        using var model = ModelZoo.Create(name, new ModelOptions { NumClasses = 10, InChannels = channels, ImageSize = size });
        var trainer = Trainer.For(model).UsePrecision(precision).UseDevice(CPU).Build();
        trainer.Fit(loader, null, epochs: 2);
        var rates = new List<double>();
        for (var epoch = 3; epoch <= 5; epoch++)
        {
            var clock = Stopwatch.StartNew();
            trainer.Fit(loader, null, epochs: epoch);
            rates.Add(count / clock.Elapsed.TotalSeconds);
        }

        dataset.Dispose();
        return rates.Order().ElementAt(1);
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
