using CnnClassify.Data.Transforms;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data;

/// <summary>
/// Reads a dataset in batches: optionally shuffled per epoch, transformed sample by sample, on
/// background workers with a bounded prefetch. A dataset held in memory (<see cref="IInMemoryDataset"/>,
/// or a <see cref="Subset"/> of one) whose transforms are all <see cref="IBatchTransform"/>s takes
/// the batch path instead: one gather of the batch's images, then each transform once on the
/// whole batch, with the same per-sample randomness and therefore the same images. The batch
/// path runs on the calling thread, whatever <see cref="DataLoaderOptions.Workers"/> says.
/// </summary>
/// <remarks>
/// The batches of an epoch, and every random transform in them, depend only on the seed, the
/// epoch and the sample, never on the number of workers or their timing. Stopping early, by
/// cancelling or by leaving the loop, stops the workers and disposes the batches they prepared.
/// </remarks>
public sealed partial class DataLoader
{
    private readonly IImageDataset _dataset;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _warned = new(StringComparer.Ordinal);
    private readonly IImageTransform? _transform;
    private readonly Func<IReadOnlyList<int>, Tensor>? _readImages;
    private readonly IReadOnlyList<IBatchTransform>? _batchTransforms;

    /// <summary>Creates a loader.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="transform">Applied to each image, such as a <see cref="Compose"/>; <see langword="null"/> passes images through.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public DataLoader(IImageDataset dataset, IImageTransform? transform = null, DataLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        Options = options ?? new DataLoaderOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.BatchSize, 1, nameof(Options.BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(Options.Workers, nameof(Options.Workers));
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.Prefetch ?? 1, 1, nameof(Options.Prefetch));
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.ShardCount, 1, nameof(Options.ShardCount));
        if (Options.ShardIndex < 0 || Options.ShardIndex >= Options.ShardCount)
        {
            throw new ArgumentOutOfRangeException(nameof(options), Options.ShardIndex, $"ShardIndex must be in [0, {Options.ShardCount}) for ShardCount {Options.ShardCount}.");
        }

        if (Options.SampleWeights is { } weights)
        {
            if (weights.Count != dataset.Count)
            {
                throw new ArgumentException($"SampleWeights has {weights.Count} weights for {dataset.Count} samples; give one per sample.", nameof(options));
            }

            if (weights.Any(w => !(w >= 0) || !double.IsFinite(w)) || (dataset.Count > 0 && !(weights.Sum() > 0)))
            {
                throw new ArgumentOutOfRangeException(nameof(options), "SampleWeights must be finite and at least 0, and not all 0.");
            }
        }

        _dataset = dataset;
        _transform = transform;
        _batchTransforms = BatchTransforms(transform);
        _readImages = _batchTransforms is null ? null : ImageReader(dataset);
    }

    /// <summary>The options in use.</summary>
    public DataLoaderOptions Options { get; }

    /// <summary>The dataset.</summary>
    public IImageDataset Dataset => _dataset;

    /// <summary>The transform applied to each sample, or <see langword="null"/> for none.</summary>
    public IImageTransform? Transform => _transform;

    /// <summary>Whether batches are gathered and transformed whole rather than sample by sample (see the class remarks).</summary>
    public bool UsesBatchPath => _readImages is not null;

    /// <summary>Samples this loader yields per epoch: the dataset's, or one shard's (padded to equal length).</summary>
    public int SamplesPerEpoch => Options.ShardCount == 1 ? _dataset.Count : (_dataset.Count + Options.ShardCount - 1) / Options.ShardCount;

    /// <summary>Batches in one epoch.</summary>
    public int BatchesPerEpoch => Options.DropLast ? SamplesPerEpoch / Options.BatchSize : (SamplesPerEpoch + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>The dataset indices of each batch of <paramref name="epoch"/>, in order.</summary>
    /// <param name="epoch">The zero-based epoch.</param>
    public IReadOnlyList<int[]> BatchIndices(int epoch) => Plan(epoch).Select(b => b.Indices).ToList();

    // Each batch's dataset indices, with the keys their random transforms are seeded from: the
    // index, plus a multiple of the dataset's size for the second and later draws of one sample
    // in an epoch, counted over the order of all shards.
    private List<(int[] Indices, long[] Keys)> Plan(int epoch)
    {
        var count = _dataset.Count;
        int[] order;
        if (Options.SampleWeights is { } weights)
        {
            var cumulative = new double[count];
            var total = 0.0;
            for (var i = 0; i < count; i++)
            {
                cumulative[i] = total += weights[i];
            }

            var random = new Random(SeedMix.Mix(Options.Seed, epoch, -2));
            order = new int[count];
            for (var i = 0; i < count; i++)
            {
                var at = Array.BinarySearch(cumulative, random.NextDouble() * total);
                var drawn = at >= 0 ? at + 1 : ~at;
                while (drawn < count - 1 && weights[drawn] == 0)
                {
                    drawn++;
                }

                order[i] = Math.Min(drawn, count - 1);
            }
        }
        else
        {
            order = Enumerable.Range(0, count).ToArray();
            if (Options.Shuffle)
            {
                new Random(SeedMix.Mix(Options.Seed, epoch, -1)).Shuffle(order);
            }
        }

        var seen = new Dictionary<int, int>();
        var keys = order.Select(index =>
        {
            var times = seen.GetValueOrDefault(index);
            seen[index] = times + 1;
            return index + ((long)times * count);
        }).ToArray();

        if (Options.ShardCount > 1 && order.Length > 0)
        {
            // The order padded with its own start to SamplesPerEpoch * ShardCount, dealt round-robin.
            var positions = Enumerable.Range(0, SamplesPerEpoch).Select(i => ((i * Options.ShardCount) + Options.ShardIndex) % order.Length).ToArray();
            (order, keys) = (positions.Select(p => order[p]).ToArray(), positions.Select(p => keys[p]).ToArray());
        }

        return Enumerable.Range(0, BatchesPerEpoch)
            .Select(b => (order.Skip(b * Options.BatchSize).Take(Options.BatchSize).ToArray(), keys.Skip(b * Options.BatchSize).Take(Options.BatchSize).ToArray()))
            .ToList();
    }

    /// <summary>The batches of one epoch, in order. Dispose each batch when done with it.</summary>
    /// <param name="epoch">The zero-based epoch; it selects the shuffle and the random transforms.</param>
    /// <param name="cancellationToken">Stops the epoch with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="InvalidImageException">A sample cannot be decoded and <see cref="DataLoaderOptions.InvalidSamples"/> is <see cref="InvalidSamplePolicy.Throw"/>.</exception>
    public IEnumerable<Batch> Epoch(int epoch = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        var batches = Plan(epoch);

        // The batch path is a few tensor operations per batch, which LibTorch already spreads over
        // the cores; on a worker thread they would contend with the model's own parallel regions.
        return Options.Workers == 0 || UsesBatchPath
            ? Sequential(batches, epoch, cancellationToken)
            : Parallel(batches, epoch, cancellationToken);
    }

    private IEnumerable<Batch> Sequential(IReadOnlyList<(int[] Indices, long[] Keys)> batches, int epoch, CancellationToken cancellationToken)
    {
        foreach (var planned in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Collate(planned, epoch, cancellationToken) is { } batch)
            {
                yield return batch;
            }
        }
    }

    private IEnumerable<Batch> Parallel(IReadOnlyList<(int[] Indices, long[] Keys)> batches, int epoch, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var results = batches.Select(_ => new TaskCompletionSource<Batch?>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        using var slots = new SemaphoreSlim(Options.Prefetch ?? (2 * Options.Workers));
        var next = -1;
        var workers = Enumerable.Range(0, Options.Workers).Select(_ => new Thread(() =>
        {
            while (true)
            {
                try
                {
                    slots.Wait(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                var b = Interlocked.Increment(ref next);
                if (b >= batches.Count)
                {
                    return;
                }

                try
                {
                    results[b].SetResult(Collate(batches[b], epoch, stop.Token));
                }
                catch (Exception ex)
                {
                    results[b].SetException(ex);
                    stop.Cancel();
                    return;
                }
            }
        })
        { IsBackground = true, Name = "CnnClassify.DataLoader" }).ToList();
        workers.ForEach(worker => worker.Start());

        var handedOut = 0;
        try
        {
            while (handedOut < batches.Count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Batch? batch;
                try
                {
                    // Rethrows a worker's exception as it was thrown.
                    batch = results[handedOut].Task.WaitAsync(cancellationToken).GetAwaiter().GetResult();
                }
                finally
                {
                    slots.Release();
                }

                handedOut++;
                if (batch is not null)
                {
                    yield return batch;
                }
            }
        }
        finally
        {
            stop.Cancel();
            workers.ForEach(worker => worker.Join());
            for (var b = handedOut; b < results.Length; b++)
            {
                if (results[b].Task.IsCompletedSuccessfully)
                {
                    results[b].Task.Result?.Dispose();
                }
            }
        }
    }

    /// <summary>The transforms in order when every one can act on a batch; <see langword="null"/> otherwise.</summary>
    private static List<IBatchTransform>? BatchTransforms(IImageTransform? transform)
    {
        switch (transform)
        {
            case null:
                return [];
            case Compose compose:
                var all = new List<IBatchTransform>();
                foreach (var inner in compose.Transforms)
                {
                    if (BatchTransforms(inner) is not { } found)
                    {
                        return null;
                    }

                    all.AddRange(found);
                }

                return all;
            case IBatchTransform batch:
                return [batch];
            default:
                return null;
        }
    }

    /// <summary>Reads a batch's images in one gather, when the dataset is held in memory.</summary>
    private static Func<IReadOnlyList<int>, Tensor>? ImageReader(IImageDataset dataset) => dataset switch
    {
        IInMemoryDataset memory => memory.ReadImages,
        Subset subset when ImageReader(subset.Source) is { } source => indices => source([.. indices.Select(i => subset.Indices[i])]),
        _ => null,
    };

    /// <summary>Reads, transforms and stacks the samples; <see langword="null"/> if all were skipped.</summary>
    private Batch? Collate((int[] Indices, long[] Keys) planned, int epoch, CancellationToken cancellationToken)
    {
        var (indices, keys) = planned;
        if (_readImages is { } read)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var batchScope = torch.NewDisposeScope();
            var batch = read(indices);
            var randoms = keys.Select(key => new Random(SeedMix.Mix(Options.Seed, epoch, key))).ToList();
            foreach (var transform in _batchTransforms!)
            {
                batch = transform.ApplyBatch(batch, randoms);
            }

            return new Batch(batch.contiguous().DetachFromDisposeScope(), Targets(indices).DetachFromDisposeScope(), indices);
        }

        using var scope = torch.NewDisposeScope();
        var images = new List<Tensor>(indices.Length);
        var kept = new List<int>(indices.Length);
        string? firstSource = null;
        for (var position = 0; position < indices.Length; position++)
        {
            var index = indices[position];
            cancellationToken.ThrowIfCancellationRequested();
            ImageSample sample;
            try
            {
                sample = _dataset.Read(index);
            }
            catch (InvalidImageException ex) when (Options.InvalidSamples == InvalidSamplePolicy.Skip)
            {
                // Once per file, not once per epoch.
                if (_warned.TryAdd(ex.Path, true))
                {
                    LogSkipped(Options.Logger ?? CnnClassifyLogging.For<DataLoader>(), ex.Path, ex.Reason);
                }

                continue;
            }

            var image = _transform is null ? sample.Image : _transform.Apply(sample.Image, new Random(SeedMix.Mix(Options.Seed, epoch, keys[position])));
            if (images.Count > 0 && !image.shape.SequenceEqual(images[0].shape))
            {
                throw new InvalidOperationException(
                    $"Sample {sample.Source} has shape [{string.Join(", ", image.shape)}] but {firstSource} has [{string.Join(", ", images[0].shape)}]; add a Resize or crop so that every image in a batch has one size.");
            }

            firstSource ??= sample.Source;
            images.Add(image);
            kept.Add(index);
        }

        if (images.Count == 0)
        {
            return null;
        }

        var stacked = torch.stack(images).DetachFromDisposeScope();
        return new Batch(stacked, Targets(kept).DetachFromDisposeScope(), kept);
    }

    /// <summary>The samples' targets: class indices [N] of <c>int64</c>, or multi-hot [N, classes] of <c>float32</c> for a multi-label dataset.</summary>
    private Tensor Targets(IReadOnlyList<int> indices)
    {
        if (!_dataset.IsMultiLabel)
        {
            return torch.tensor(indices.Select(i => _dataset.LabelAt(i)).ToArray());
        }

        var classes = _dataset.Classes.Count;
        var hot = new float[indices.Count * classes];
        for (var r = 0; r < indices.Count; r++)
        {
            foreach (var label in _dataset.LabelsAt(indices[r]))
            {
                hot[(r * classes) + label] = 1;
            }
        }

        return torch.tensor(hot, [indices.Count, classes]);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipping sample {Path}: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string path, string reason);
}
