namespace CnnClassify.Training;

/// <summary>
/// Where training stands: reported by <see cref="ProgressReporter"/> after every batch, once
/// when validation starts, and once more with <see cref="EpochMetrics"/> at each epoch's end.
/// </summary>
public sealed record TrainingProgress
{
    /// <summary>The zero-based epoch.</summary>
    public required int Epoch { get; init; }

    /// <summary>The epoch <see cref="Trainer.Fit"/> runs to (the total, counting epochs trained before a resume).</summary>
    public required int Epochs { get; init; }

    /// <summary>Training batches done in this epoch.</summary>
    public required int Batch { get; init; }

    /// <summary>Training batches per epoch.</summary>
    public required int Batches { get; init; }

    /// <summary>Training images seen in this epoch.</summary>
    public long Samples { get; init; }

    /// <summary>The last batch's loss.</summary>
    public double Loss { get; init; }

    /// <summary>The mean training loss of this epoch so far, weighted by batch size.</summary>
    public double AverageLoss { get; init; }

    /// <summary>The current learning rate of the first parameter group.</summary>
    public double LearningRate { get; init; }

    /// <summary>Training images per second in this epoch so far (data loading included).</summary>
    public double SamplesPerSecond { get; init; }

    /// <summary>Time since this epoch began.</summary>
    public TimeSpan EpochElapsed { get; init; }

    /// <summary>
    /// Estimated time to this epoch's end: the remaining batches at this epoch's pace, plus the
    /// previous epoch's validation time. <see langword="null"/> before the first batch.
    /// </summary>
    public TimeSpan? EpochRemaining { get; init; }

    /// <summary>
    /// Estimated time to the end of <see cref="Trainer.Fit"/>: this epoch's remainder plus the
    /// remaining epochs at the last complete epoch's duration (this one's projection before
    /// the first completes). <see langword="null"/> before the first batch.
    /// </summary>
    public TimeSpan? RunRemaining { get; init; }

    /// <summary>Whether the report marks the start of validation (all training batches are done).</summary>
    public bool Validating { get; init; }

    /// <summary>The finished epoch's metrics, on the end-of-epoch report only.</summary>
    public EpochMetrics? EpochMetrics { get; init; }
}
