using System.Diagnostics;
using System.Globalization;
using CnnClassify.Data;
using CnnClassify.Models;
using CnnClassify.Native;
using CnnClassify.Runtime;
using CnnClassify.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Benchmarks;

/// <summary>
/// Training throughput, in images per second, of the Trainer against a minimal hand-written
/// TorchSharp loop (TorchSharp's own Adam) over the same batches, in float32 and in bf16 autocast.
/// Both read the same in-memory uint8 images through the same loader (one worker, ToTensor). One
/// warm-up epoch each, then the medians of five timed epochs; the four series of a model (raw and
/// Trainer, fp32 and bf16) take their epochs in turns.
/// </summary>
internal static class TrainingBenchmark
{
    private static readonly (string Model, int Channels, int Size, int Batch)[] Cases =
        [("simplecnn", 1, 28, 128), ("resnet18", 3, 32, 128), ("resnet18", 3, 224, 16)];

    public static void Run(string[] args)
    {
        var batches = int.Parse(Arguments.Option(args, "--batches", "20"), CultureInfo.InvariantCulture);
        var only = Arguments.Option(args, "--model", string.Empty);
        var onlySize = int.Parse(Arguments.Option(args, "--size", "0"), CultureInfo.InvariantCulture);
        ChannelsLast = args.Contains("--channels-last");
        MemoryReuse = !args.Contains("--no-memory-reuse");
        Precision[] precisions = args.Contains("--fp32-only") ? [Precision.Fp32] : [Precision.Fp32, Precision.Bf16];
        Console.WriteLine($"CPU: {Native.CpuCapabilities.ProcessorName()}, {Native.CpuCapabilities.Current.Describe()}");
        Console.WriteLine($"Training throughput, {Environment.ProcessorCount} cores, torch threads {torch.get_num_threads()}, {batches} batches per epoch, {(ChannelsLast ? "channels-last" : "contiguous")} batches, native memory reuse {(MemoryReuse ? "on" : "off")}");
        Console.WriteLine("| Model | Input | Batch | Precision | Raw loop images/s | Trainer images/s | Trainer / raw |");
        Console.WriteLine("| --- | --- | ---: | --- | ---: | ---: | ---: |");
        foreach (var (model, channels, size, batch) in Cases.Where(c => (only.Length == 0 || c.Model == only) && (onlySize == 0 || c.Size == onlySize)))
        {
            var count = batch * (size > 64 ? Math.Max(4, batches / 2) : batches);
            var loader = Loader(channels, size, batch, count);
            var rates = Interleaved([.. precisions.SelectMany(precision => new Func<int, double>[]
            {
                epoch => RawLoop(model, channels, size, loader, precision, epoch),
                epoch => TrainerEpoch(model, channels, size, loader, precision, epoch),
            })]);
            for (var i = 0; i < precisions.Length; i++)
            {
                var (raw, trainer) = (rates[2 * i], rates[(2 * i) + 1]);
                Console.WriteLine($"| {model} | {channels}x{size}x{size} | {batch} | {precisions[i]} | {Rate(raw)} | {Rate(trainer)} | {trainer / raw:F3} |");
            }

            if (precisions.Length == 2)
            {
                Console.WriteLine($"|   bf16 / fp32 | | | | {rates[2] / rates[0]:F2}x | {rates[3] / rates[1]:F2}x | |");
            }
        }
    }

    // Both loops feed channels-last batches when set (--channels-last).
    private static bool ChannelsLast { get; set; }

    // Whether the trainer keeps freed native memory (off with --no-memory-reuse); process-wide once on.
    private static bool MemoryReuse { get; set; }

    private static string Rate(double imagesPerSecond) => imagesPerSecond.ToString(imagesPerSecond < 100 ? "N1" : "N0", CultureInfo.InvariantCulture);

    private static DataLoader Loader(int channels, int size, int batch, int count)
    {
        torch.manual_seed(0);
        var images = torch.randint(0, 256, [count, channels, size, size], dtype: ScalarType.Byte);
        var labels = Enumerable.Range(0, count).Select(i => (long)(i % 10)).ToArray();
        var dataset = new TensorDataset(images, labels, [.. Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture))]);
        return new DataLoader(dataset, new CnnClassify.Data.Transforms.ToTensor(), new DataLoaderOptions { BatchSize = batch, Shuffle = true, Workers = 1 });
    }

    private static ClassificationModel Model(string name, int channels, int size) =>
        ModelZoo.Create(name, new ModelOptions { NumClasses = 10, InChannels = channels, ImageSize = size });

    // One model per measurement series: warm-up epoch 0, then timed epochs 1 to 3.
    private static readonly Dictionary<string, (ClassificationModel Model, optim.Optimizer Optimizer, Trainer? Trainer)> Live = [];

    private static double RawLoop(string name, int channels, int size, DataLoader loader, Precision precision, int epoch)
    {
        var key = $"raw {name} {size} {precision}";
        if (!Live.TryGetValue(key, out var state))
        {
            var model = Model(name, channels, size);
            state = (model, optim.Adam(model.parameters(), 1e-3), null);
            Live[key] = state;
        }

        var (network, optimizer, _) = state;
        network.train();
        var clock = Stopwatch.StartNew();
        var seen = 0;
        foreach (var batch in loader.Epoch(epoch))
        {
            using var scope = torch.NewDisposeScope();
            using (batch)
            {
                Tensor loss;
                using (precision == Precision.Bf16 ? Autocast.Enable(CPU, ScalarType.BFloat16) : null)
                {
                    loss = nn.functional.cross_entropy(network.call(ChannelsLast ? batch.Images.ToChannelsLast() : batch.Images), batch.Labels);
                }

                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                seen += batch.Count;
            }
        }

        return seen / clock.Elapsed.TotalSeconds;
    }

    private static double TrainerEpoch(string name, int channels, int size, DataLoader loader, Precision precision, int epoch)
    {
        var key = $"trainer {name} {size} {precision}";
        if (!Live.TryGetValue(key, out var state))
        {
            var model = Model(name, channels, size);
            var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Adam()).UseLoss(LossFunction.CrossEntropy()).UsePrecision(precision).UseChannelsLast(ChannelsLast).UseNativeMemoryReuse(MemoryReuse).UseDevice(CPU).Build();
            state = (model, trainer.Optimizer, trainer);
            Live[key] = state;
        }

        var clock = Stopwatch.StartNew();
        state.Trainer!.Fit(loader, null, epoch + 1);
        return loader.Dataset.Count / clock.Elapsed.TotalSeconds;
    }

    // One warm-up epoch each, then five timed epochs taken in turns, so that drift in the machine's
    // speed reaches every series alike; the medians.
    private static double[] Interleaved(IReadOnlyList<Func<int, double>> series)
    {
        foreach (var run in series)
        {
            run(0);
        }

        var rates = Enumerable.Range(1, 5).Select(epoch => series.Select(run => run(epoch)).ToArray()).ToList();
        return [.. series.Select((_, i) => rates.Select(r => r[i]).Order().ElementAt(2))];
    }
}
