namespace CnnClassify.Training;

/// <summary>The outcome of a batch-size search.</summary>
/// <param name="BatchSize">The largest batch size tried that fit the budget (the smallest tried when none did).</param>
/// <param name="Trials">Every batch size tried, in order.</param>
/// <param name="MemoryBudgetBytes">The budget the peaks were held to.</param>
/// <param name="StopReason">Why the search stopped, in one line.</param>
public sealed record BatchSizeFinderResult(int BatchSize, IReadOnlyList<BatchSizeTrial> Trials, long MemoryBudgetBytes, string StopReason);

/// <summary>One batch size tried.</summary>
/// <param name="BatchSize">The batch size.</param>
/// <param name="ImagesPerSecond">Training throughput over the timed steps.</param>
/// <param name="PeakBytes">The process's peak resident memory after the steps (on the CPU); 0 where it is not known.</param>
/// <param name="Fits">Whether it fit the budget (and, on CUDA, ran without running out of memory).</param>
public readonly record struct BatchSizeTrial(int BatchSize, double ImagesPerSecond, long PeakBytes, bool Fits);
