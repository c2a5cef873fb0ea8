namespace CnnClassify.Training;

/// <summary>What the trainer does when a batch's loss is NaN or infinite.</summary>
public enum NonFiniteLossPolicy
{
    /// <summary>Stop with a <see cref="TrainingDivergedException"/> naming the epoch and step.</summary>
    Stop,

    /// <summary>Discard that batch's gradients and carry on.</summary>
    SkipBatch,
}
