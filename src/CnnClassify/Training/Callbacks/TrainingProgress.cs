namespace CnnClassify.Training;

/// <summary>A progress report: after every batch, and once more with <see cref="Epoch"/> metrics at each epoch's end.</summary>
/// <param name="Epoch">Zero-based epoch.</param>
/// <param name="Epochs">Total epochs.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="Loss">The last batch's loss.</param>
/// <param name="LearningRate">The current learning rate of the first group.</param>
/// <param name="EpochMetrics">The finished epoch's metrics, on the end-of-epoch report only.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double LearningRate, EpochMetrics? EpochMetrics);
