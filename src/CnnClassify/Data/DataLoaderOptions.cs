using Microsoft.Extensions.Logging;

namespace CnnClassify.Data;

/// <summary>Options for <see cref="DataLoader"/>.</summary>
public sealed record DataLoaderOptions
{
    /// <summary>Samples per batch, at least 1. Default 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Whether each epoch visits the samples in a new random order. Default off.</summary>
    public bool Shuffle { get; init; }

    /// <summary>Seed of the shuffling and of each sample's random transforms.</summary>
    public int Seed { get; init; }

    /// <summary>Whether to leave out a last batch smaller than <see cref="BatchSize"/>.</summary>
    public bool DropLast { get; init; }

    /// <summary>
    /// Background threads that read and transform batches; 0 does the work on the consuming thread.
    /// The batch path for in-memory datasets (<see cref="DataLoader.UsesBatchPath"/>) always runs on
    /// the consuming thread: its few whole-batch operations are parallel already.
    /// </summary>
    public int Workers { get; init; }

    /// <summary>Batches that may be prepared ahead of the consumer, at least 1. Default 2 per worker.</summary>
    public int? Prefetch { get; init; }

    /// <summary>
    /// The number of shards the samples are dealt into, one per process of a data-parallel run
    /// (the world size); 1, the default, for all samples. Every epoch, all shards share one seeded
    /// order, padded by repeating its start to a multiple of the shard count, and shard k takes
    /// positions k, k + count, ..., as PyTorch's <c>DistributedSampler</c>; each sample's random
    /// transforms depend only on the seed, the epoch and the sample, whatever the shard count.
    /// </summary>
    public int ShardCount { get; init; } = 1;

    /// <summary>This process's shard, from 0 to <see cref="ShardCount"/> - 1 (its rank).</summary>
    public int ShardIndex { get; init; }

    /// <summary>
    /// Per-sample weights for drawing with replacement, as PyTorch's <c>WeightedRandomSampler</c>:
    /// each epoch draws as many samples as the dataset holds, each with probability proportional to
    /// its weight, from a generator seeded by <see cref="Seed"/> and the epoch (so <see cref="Shuffle"/>
    /// has no effect). A sample drawn twice in an epoch gets other random transforms the second time.
    /// <see cref="ClassStatistics.BalancedSampleWeights"/> gives weights that make every class equally
    /// likely. <see langword="null"/>, the default, visits every sample once.
    /// </summary>
    public IReadOnlyList<double>? SampleWeights { get; init; }

    /// <summary>What to do with a sample that cannot be decoded.</summary>
    public InvalidSamplePolicy InvalidSamples { get; init; } = InvalidSamplePolicy.Skip;

    /// <summary>Receives warnings about skipped samples; <see langword="null"/> for <see cref="CnnClassifyLogging.LoggerFactory"/>'s.</summary>
    public ILogger? Logger { get; init; }
}
