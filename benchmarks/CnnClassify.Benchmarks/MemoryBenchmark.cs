using System.Diagnostics;
using System.Globalization;
using CnnClassify.Data;
using CnnClassify.Models;
using CnnClassify.Runtime;
using CnnClassify.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Benchmarks;

/// <summary>RSS and live tensor count after each of ten training epochs (SimpleCNN, bf16, synthetic data).</summary>
internal static class MemoryBenchmark
{
    public static void Run(string[] args)
    {
        torch.manual_seed(0);
        const int Count = 6400;
        var images = torch.randint(0, 256, [Count, 1, 28, 28], dtype: ScalarType.Byte);
        var dataset = new TensorDataset(images, [.. Enumerable.Range(0, Count).Select(i => (long)(i % 10))], [.. Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture))]);
        var loader = new DataLoader(dataset, new CnnClassify.Data.Transforms.ToTensor(), new DataLoaderOptions { BatchSize = 128, Shuffle = true, Workers = 2 });
        using var model = new SimpleCnn();
        var trainer = Trainer.For(model).UsePrecision(Precision.Auto).UseDevice(CPU).Build();
        using var process = Process.GetCurrentProcess();
        Console.WriteLine("| Epoch | RSS (MB) | Live tensors |");
        Console.WriteLine("| ---: | ---: | ---: |");
        for (var epoch = 1; epoch <= 10; epoch++)
        {
            trainer.Fit(loader, loader, epoch);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            process.Refresh();
            Console.WriteLine($"| {epoch} | {process.WorkingSet64 / 1024.0 / 1024.0:F0} | {torch.Tensor.TotalCount} |");
        }
    }
}
