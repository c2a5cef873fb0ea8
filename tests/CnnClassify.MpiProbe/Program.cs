// Run under mpirun by MpiTests: `collectives` all-reduces and broadcasts known tensors and
// prints what each rank holds; `abort` makes rank 1 abort while rank 0 waits at a barrier;
// `train BATCH ACCUMULATION FOLDER [EPOCHS [RESUME]]` trains a small model data-parallel to EPOCHS
// (default 3), each rank pointing its checkpoints at FOLDER/rankN, and rank 0 writes the final
// weights to FOLDER/weights.txt; with RESUME, rank 0 alone loads that checkpoint first;
// `fail` makes rank 1 throw inside training; `poison loss|gradient` makes rank 1 alone meet a NaN
// loss (fp32, batches skipped) or a finite loss with NaN gradients (fp16 loss scaling) in its
// third batch, and each rank prints its steps, skipped steps and weights.
using System.Globalization;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Distributed;
using CnnClassify.Models;
using CnnClassify.Runtime;
using CnnClassify.Training;
using TorchSharp;

using var world = MpiWorld.Initialize();
var rank = world.Rank;
switch (args.FirstOrDefault())
{
    case "collectives":
    {
        using var floats = torch.tensor(new float[] { rank + 1, 10 * (rank + 1), -0.5f });
        world.AllReduceSum(floats);
        using var doubles = torch.tensor(new[] { rank * 0.25, 1e-300 });
        world.AllReduceSum(doubles);
        using var longs = torch.tensor(new long[] { 1L << 40, rank });
        world.AllReduceSum(longs);
        using var broadcast = rank == 0 ? torch.tensor(new float[] { 3.5f, -2, 7 }) : torch.zeros(3);
        world.Broadcast(broadcast);
        world.Barrier();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rank {rank}/{world.Size} floats {Join(floats.data<float>())} doubles {Join(doubles.data<double>())} longs {Join(longs.data<long>())} broadcast {Join(broadcast.data<float>())} version {world.Version.Split(',')[0]}"));
        return 0;
    }

    case "abort":
        if (rank == 1)
        {
            world.Abort(3);
        }

        world.Barrier();
        return 0;

    case "train" or "fail":
    {
        var batch = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4;
        var accumulation = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1;
        torch.manual_seed(7 + rank);  // different starting weights on each rank: the broadcast must fix them
        using var model = CnnBuilder.Input(1, 6, 6).Conv(4, 3).ReLU().Flatten().Dense(3).Build();
        var images = torch.arange(48 * 36).remainder(251).to(torch.ScalarType.Byte).view(48, 1, 6, 6);
        var dataset = new TensorDataset(images, Enumerable.Range(0, 48).Select(i => (long)(i % 3)).ToList(), ["a", "b", "c"]);
        var loader = new DataLoader(dataset, new Compose(new RandomHorizontalFlip(), new ToTensor()),
            new DataLoaderOptions { BatchSize = batch, Shuffle = true, Seed = 5, ShardCount = world.Size, ShardIndex = rank });
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Sgd(0.1, momentum: 0.9)).AccumulateGradients(accumulation).UseSeed(1)
            .UseDistributed(world).AddCallback(new FailOn(args[0] == "fail" ? 1 : -1)).AddCallback(new PrintStartingWeights());
        var folder = args.Length > 3 ? args[3] : null;
        if (folder is not null)
        {
            // Each rank is pointed at a folder of its own, so the test can see which ranks wrote.
            var own = Path.Combine(folder, $"rank{rank}");
            trainer.AddCallback(new CheckpointCallback(own, Metric.TrainLoss)).AddCallback(new CsvLogger(Path.Combine(own, "history.csv")));
        }

        var run = trainer.Build();
        var epochs = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 3;
        if (args.Length > 5 && world.IsMain)
        {
            run.LoadCheckpoint(args[5]);
        }

        run.Fit(loader, null, epochs);
        if (world.IsMain && folder is not null)
        {
            File.WriteAllLines(Path.Combine(folder, "weights.txt"), model.parameters().SelectMany(p => p.detach().data<float>().ToArray()).Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        }

        Console.WriteLine($"rank {rank} steps {run.GlobalStep} loss {run.History.Epochs[^1].TrainLoss.ToString("F6", CultureInfo.InvariantCulture)}");
        return 0;
    }

    case "poison":
    {
        var gradient = args.ElementAtOrDefault(1) == "gradient";
        torch.manual_seed(7);
        var inner = CnnBuilder.Input(1, 6, 6).Conv(4, 3).ReLU().Flatten().Dense(3).Build();
        using var model = new Poisoned(inner, rank == 1 ? 2 : -1, gradient);
        var images = torch.arange(48 * 36).remainder(251).to(torch.ScalarType.Byte).view(48, 1, 6, 6);
        var dataset = new TensorDataset(images, Enumerable.Range(0, 48).Select(i => (long)(i % 3)).ToList(), ["a", "b", "c"]);
        var loader = new DataLoader(dataset, new ToTensor(), new DataLoaderOptions { BatchSize = 4, Shuffle = true, Seed = 5, ShardCount = world.Size, ShardIndex = rank });
        var run = Trainer.For(model).UseOptimizer(OptimizerSpec.Sgd(0.05)).UseSeed(1).UseDistributed(world)
            .UsePrecision(gradient ? Precision.Fp16 : Precision.Fp32).OnNonFiniteLoss(NonFiniteLossPolicy.SkipBatch).Build();
        run.Fit(loader, null, epochs: 2);
        var weights = inner.parameters().SelectMany(p => p.detach().data<float>().ToArray()).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rank {rank} steps {run.GlobalStep} skipped {run.Scaler?.SkippedSteps ?? 0} finite {weights.All(float.IsFinite)} weights {Weights.Digest(weights)}"));
        return 0;
    }

    default:
        Console.Error.WriteLine("Usage: CnnClassify.MpiProbe collectives|abort|train BATCH ACCUMULATION FOLDER [EPOCHS [RESUME]]|fail|poison loss|gradient");
        return 2;
}

static string Join<T>(IEnumerable<T> values) where T : IFormattable =>
    string.Join(",", values.Select(v => v.ToString(null, CultureInfo.InvariantCulture)));

/// <summary>Throws on one rank in the second epoch, to show that the whole job ends.</summary>
internal sealed class FailOn(int failingRank) : TrainerCallback
{
    public override void OnEpochBegin(TrainingContext context)
    {
        if (context.Epoch == 1 && context.Trainer.Rank == failingRank)
        {
            throw new InvalidOperationException($"rank {failingRank} fails on purpose");
        }
    }
}

/// <summary>
/// A model whose output on one call turns the loss NaN, or keeps it finite while the gradients of
/// the first parameter become NaN (0 times the infinite slope of sqrt at 0).
/// </summary>
internal sealed class Poisoned : torch.nn.Module<torch.Tensor, torch.Tensor>
{
    private readonly torch.nn.Module<torch.Tensor, torch.Tensor> _inner;
    private readonly int _poisonedCall;
    private readonly bool _gradient;
    private int _calls;

    public Poisoned(torch.nn.Module<torch.Tensor, torch.Tensor> inner, int poisonedCall, bool gradient)
        : base(nameof(Poisoned))
    {
        (_inner, _poisonedCall, _gradient) = (inner, poisonedCall, gradient);
        RegisterComponents();
    }

    public override torch.Tensor forward(torch.Tensor input)
    {
        var output = _inner.call(input);
        if (!training || _calls++ != _poisonedCall)
        {
            return output;
        }

        if (!_gradient)
        {
            return output * double.NaN;
        }

        var first = _inner.parameters().First();
        return output + ((first - first.detach()).sum().sqrt() * 0.0);
    }
}

/// <summary>Prints each rank's weights as training begins, after the start broadcast.</summary>
internal sealed class PrintStartingWeights : TrainerCallback
{
    public override void OnTrainBegin(TrainingContext context)
    {
        var weights = context.Trainer.Model.parameters().SelectMany(p => p.detach().data<float>().ToArray()).ToArray();
        Console.WriteLine($"rank {context.Trainer.Rank} starts from {Weights.Digest(weights)}");
    }
}

/// <summary>Short fingerprints of weights: mpirun may interleave long lines of two ranks.</summary>
internal static class Weights
{
    public static string Digest(float[] weights) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(weights.AsSpan())))[..16];
}
