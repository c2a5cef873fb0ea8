namespace CnnClassify.Training;

/// <summary>Thrown when a training loss becomes NaN or infinite and the policy is to stop.</summary>
public sealed class TrainingDivergedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="epoch">Zero-based epoch.</param>
    /// <param name="globalStep">Optimizer steps taken before the batch.</param>
    /// <param name="batch">Zero-based batch within the epoch.</param>
    /// <param name="loss">The loss value.</param>
    public TrainingDivergedException(int epoch, long globalStep, int batch, double loss)
        : base($"The training loss became {loss} in epoch {epoch}, batch {batch} (after {globalStep} optimizer steps). " +
               "Lower the learning rate, clip gradients, or choose NonFiniteLossPolicy.SkipBatch to skip such batches.")
    {
        (Epoch, GlobalStep, Batch, Loss) = (epoch, globalStep, batch, loss);
    }

    /// <summary>Zero-based epoch.</summary>
    public int Epoch { get; }

    /// <summary>Optimizer steps taken before the batch.</summary>
    public long GlobalStep { get; }

    /// <summary>Zero-based batch within the epoch.</summary>
    public int Batch { get; }

    /// <summary>The loss value.</summary>
    public double Loss { get; }
}
