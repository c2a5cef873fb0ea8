using System.Diagnostics;
using CnnClassify.Native;
using TorchSharp;
using DataLoader = CnnClassify.Data.DataLoader;

namespace CnnClassify.Training;

public sealed partial class Trainer
{
    /// <summary>
    /// Finds the largest batch size that fits in memory, as Lightning's batch-size finder does in its
    /// doubling mode: from <see cref="BatchSizeFinderOptions.Start"/>, each size trains a few steps
    /// on <paramref name="train"/>'s data and pipeline, with this trainer's model, loss, precision and
    /// optimizer, and the size doubles until the next one would pass the memory budget (or, on CUDA,
    /// runs out of memory). Throughput is recorded for each. Afterwards everything is as before, as
    /// after <see cref="FindLearningRate"/>.
    /// </summary>
    /// <param name="train">The training data; its batch size is what is searched.</param>
    /// <param name="options">The range, the steps and the budget; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Stops the search between steps (the state is restored).</param>
    public BatchSizeFinderResult FindBatchSize(DataLoader train, BatchSizeFinderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        options ??= new BatchSizeFinderOptions();
        options.Validate();
        if (train.Dataset.Count == 0)
        {
            throw new ArgumentException("The training data is empty; there is no batch to try.", nameof(train));
        }

        var budget = options.MemoryBudgetBytes ?? (GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2);
        var trials = new List<BatchSizeTrial>();
        var reason = Restoring("the state before the batch-size search", () =>
        {
            var size = Math.Min(options.Start, train.Dataset.Count);
            var baseline = PeakMemory.Resident();
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var loader = new DataLoader(train.Dataset, train.Transform, train.Options with { BatchSize = size, DropLast = false });
                PeakMemory.Reset();
                var (imagesPerSecond, outOfMemory) = TimeSteps(loader, options.Steps, cancellationToken);
                var peak = Device.type == DeviceType.CPU ? PeakMemory.Peak() : 0;
                var fits = !outOfMemory && peak <= budget;
                trials.Add(new BatchSizeTrial(size, imagesPerSecond, peak, fits));
                if (!fits)
                {
                    return outOfMemory ? $"batch {size} ran out of device memory" : $"batch {size} peaked at {peak / 1048576.0:F0} MiB, over the budget of {budget / 1048576.0:F0} MiB";
                }

                // The next size doubles what this one added to the memory before the search.
                var next = size * 2L;
                if (next > options.Maximum || size >= train.Dataset.Count)
                {
                    return size >= train.Dataset.Count ? $"batch {size} holds the whole training set" : $"batch {next} is above the maximum of {options.Maximum}";
                }

                if (peak > 0 && baseline + (2 * Math.Max(0, peak - baseline)) > budget)
                {
                    return $"batch {next} would need about {(baseline + (2 * (peak - baseline))) / 1048576.0:F0} MiB, over the budget of {budget / 1048576.0:F0} MiB";
                }

                size = (int)Math.Min(next, train.Dataset.Count);
            }
        });

        var fitting = trials.Where(t => t.Fits).ToList();
        return new BatchSizeFinderResult(fitting.Count > 0 ? fitting[^1].BatchSize : trials[0].BatchSize, trials, budget, reason);
    }

    // Trains `steps` batches (cycling the loader); images per second over all but the first.
    private (double ImagesPerSecond, bool OutOfMemory) TimeSteps(DataLoader loader, int steps, CancellationToken cancellationToken)
    {
        var context = new TrainingContext(this, 1, loader.BatchesPerEpoch);
        var clock = new Stopwatch();
        var (done, images) = (0, 0L);
        try
        {
            for (var epoch = 0; done < steps; epoch++)
            {
                var before = done;
                foreach (var batch in loader.Epoch(epoch, cancellationToken))
                {
                    using var scope = torch.NewDisposeScope();
                    using (batch)
                    {
                        if (done == 1)
                        {
                            clock.Start();
                        }

                        (context.Epoch, context.Batch) = (epoch, batch);
                        if (Forward(batch, context) is { } forward)
                        {
                            _precision.Backward(forward.Loss);
                            ApplyGradients();
                        }

                        EndBatch(context);
                        images += done >= 1 ? batch.Count : 0;
                        if (++done >= steps)
                        {
                            break;
                        }
                    }
                }

                if (done == before)
                {
                    throw new InvalidOperationException("The training data gave no batch (every image unreadable?), so no batch size can be tried.");
                }
            }
        }
        catch (Exception ex) when (Device.type != DeviceType.CPU && ex.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase))
        {
            Optimizer.zero_grad();
            return (0, true);
        }

        return (images / Math.Max(clock.Elapsed.TotalSeconds, 1e-9), false);
    }
}
