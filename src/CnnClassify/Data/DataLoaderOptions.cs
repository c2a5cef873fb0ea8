using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

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

    /// <summary>Background threads that read and transform batches; 0 does the work on the consuming thread.</summary>
    public int Workers { get; init; }

    /// <summary>Batches that may be prepared ahead of the consumer, at least 1. Default 2 per worker.</summary>
    public int? Prefetch { get; init; }

    /// <summary>What to do with a sample that cannot be decoded.</summary>
    public InvalidSamplePolicy InvalidSamples { get; init; } = InvalidSamplePolicy.Skip;

    /// <summary>Receives warnings about skipped samples.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;
}
