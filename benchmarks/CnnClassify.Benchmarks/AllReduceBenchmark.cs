using System.Diagnostics;
using System.Globalization;
using CnnClassify.Distributed;
using CnnClassify.Models;
using TorchSharp;

namespace CnnClassify.Benchmarks;

/// <summary>
/// The cost of data-parallel gradient averaging per optimizer step, run under <c>mpirun</c>: for
/// each model, the trainer's bucketed average (flatten, <c>MPI_Allreduce</c>, divide, copy back)
/// and a bare all-reduce of one buffer of the same size, with one torch thread per rank. Rank 0
/// prints the table and what a ring all-reduce of those bytes would take on 8 ranks over a
/// 10 Gb/s network.
/// </summary>
internal static class AllReduceBenchmark
{
    private const int Repeats = 30;

    public static void Run(string[] args)
    {
        using var world = MpiWorld.Initialize();
        torch.set_num_threads(1);
        var models = Arguments.Option(args, "--models", "simplecnn,resnet18,resnet50").Split(',');
        if (world.IsMain)
        {
            Console.WriteLine($"{world.Size} ranks, {world.Version.Split(',')[0]}, {Repeats} steps per model (median)");
            Console.WriteLine("| Model | Parameters | Gradient MB | Buckets | Trainer average, ms | Bare MPI_Allreduce, ms | Bus bandwidth, GB/s | 8 ranks at 10 Gb/s, ms (predicted) |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        }

        foreach (var name in models)
        {
            using var scope = torch.NewDisposeScope();
            var model = ModelZoo.Create(name, numClasses: 10);
            var parameters = model.parameters().ToList();
            foreach (var parameter in parameters)
            {
                parameter.grad = torch.randn_like(parameter);
            }

            var elements = parameters.Sum(p => p.numel());
            var bytes = elements * sizeof(float);
            var averager = new GradientAverager(world);
            var averaged = Median(world, () => averager.Average(parameters));
            using var buffer = torch.randn(elements);
            var bare = Median(world, () => world.AllReduceSum(buffer));

            // A ring all-reduce moves 2 (N - 1) / N of the buffer through each rank's link.
            var moved = 2.0 * (world.Size - 1) / world.Size * bytes;
            var predicted = (2.0 * 7 / 8 * bytes / 1.25e9 * 1e3) + (2 * 7 * 0.05);
            if (world.IsMain)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {elements:N0} | {bytes / 1e6:F1} | {(bytes + GradientAverager.BucketBytes - 1) / GradientAverager.BucketBytes} | {averaged:F2} | {bare:F2} | {moved / (bare / 1e3) / 1e9:F2} | {predicted:F0} |"));
            }
        }

        if (world.IsMain)
        {
            Console.WriteLine("Bus bandwidth: 2 (N - 1) / N of the gradient bytes over the bare all-reduce time. Prediction: a ring all-reduce on 8 ranks, 2 x 7/8 of the bytes at 1.25 GB/s plus 14 hops of 50 us.");
        }
    }

    private static double Median(MpiWorld world, Action step)
    {
        var times = new List<double>();
        for (var i = 0; i < Repeats + 3; i++)
        {
            world.Barrier();
            var clock = Stopwatch.StartNew();
            step();
            if (i >= 3)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        times.Sort();
        return times[times.Count / 2];
    }
}
