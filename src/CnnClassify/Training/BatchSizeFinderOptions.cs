namespace CnnClassify.Training;

/// <summary>
/// Settings of the batch-size search (<see cref="Trainer.FindBatchSize"/>): batch sizes doubling
/// from <see cref="Start"/> to <see cref="Maximum"/>, each tried for a few training steps, until
/// the next one would not fit the memory budget.
/// </summary>
public sealed record BatchSizeFinderOptions
{
    /// <summary>The first batch size tried, at least 1.</summary>
    public int Start { get; init; } = 16;

    /// <summary>The largest batch size tried (it is also capped at the training set's size), up to 65,536.</summary>
    public int Maximum { get; init; } = 4096;

    /// <summary>Training steps per batch size, at least 2: the first warms up, the rest are timed.</summary>
    public int Steps { get; init; } = 3;

    /// <summary>
    /// The most the process may hold at its peak, in bytes; <see langword="null"/> for half of the
    /// memory the runtime may use (the machine's, or the container's limit). On the CPU a batch size
    /// fits when the process's peak resident memory while training it stays within this; on CUDA,
    /// when it runs without an out-of-memory error.
    /// </summary>
    public long? MemoryBudgetBytes { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Start, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Maximum, Start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Maximum, 65_536);
        ArgumentOutOfRangeException.ThrowIfLessThan(Steps, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Steps, 100);
        if (MemoryBudgetBytes is { } budget)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(budget, 1);
        }
    }
}
