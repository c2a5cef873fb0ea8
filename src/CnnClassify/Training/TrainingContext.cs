using CnnClassify.Data;

namespace CnnClassify.Training;

/// <summary>The state of a training run as callbacks see it.</summary>
public sealed class TrainingContext
{
    internal TrainingContext(Trainer trainer, int epochs, int batchesPerEpoch) => (Trainer, Epochs, BatchesPerEpoch) = (trainer, epochs, batchesPerEpoch);

    /// <summary>The trainer.</summary>
    public Trainer Trainer { get; }

    /// <summary>Total epochs this call of <see cref="Trainer.Fit"/> runs to.</summary>
    public int Epochs { get; }

    /// <summary>The current zero-based epoch.</summary>
    public int Epoch { get; internal set; }

    /// <summary>Training batches per epoch.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>Zero-based batch within the epoch.</summary>
    public int BatchIndex { get; internal set; }

    /// <summary>The current training batch, during batch events.</summary>
    public Batch? Batch { get; internal set; }

    /// <summary>The last training batch's loss.</summary>
    public double BatchLoss { get; internal set; }

    /// <summary>The finished epoch's metrics, in <see cref="TrainerCallback.OnEpochEnd"/>.</summary>
    public EpochMetrics? EpochMetrics { get; internal set; }

    /// <summary>Set to <see langword="true"/> to stop after the current epoch.</summary>
    public bool StopTraining { get; set; }

    /// <summary>Why training stopped early, when a callback says.</summary>
    public string? StopReason { get; set; }
}
