using CnnClassify.Data;
using static TorchSharp.torch;

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

    /// <summary>
    /// The batch's inputs on the trainer's device, from <see cref="TrainerCallback.OnForwardBegin"/>
    /// to the batch's end; a callback may replace them there (MixUp mixes them).
    /// </summary>
    public Tensor? Inputs { get; set; }

    /// <summary>
    /// The batch's targets on the trainer's device. Replaced in <see cref="TrainerCallback.OnForwardBegin"/>,
    /// they are what the loss is computed against (unless <see cref="ComputeLoss"/> is set) and what
    /// the metrics count; replaced in <see cref="TrainerCallback.OnLoss"/>, only what the metrics
    /// count. <see cref="BatchMixing"/> runs first and sets them to the larger share's targets, so
    /// callbacks after it see those; a callback after it that sets <see cref="ComputeLoss"/> again
    /// replaces the mixed loss.
    /// </summary>
    public Tensor? Targets { get; set; }

    /// <summary>
    /// How this batch's outputs become its loss, when a callback sets it in
    /// <see cref="TrainerCallback.OnForwardBegin"/> (MixUp weighs two sets of targets);
    /// <see langword="null"/> computes the trainer's loss against <see cref="Targets"/>. A model with
    /// several training outputs (<see cref="Models.ClassificationModel.TrainingOutputs"/>) has it
    /// applied to each.
    /// </summary>
    public Func<Tensor, Tensor>? ComputeLoss { get; set; }

    /// <summary>The model's (main) outputs for <see cref="Inputs"/>, in <see cref="TrainerCallback.OnLoss"/>.</summary>
    public Tensor? Outputs { get; internal set; }

    /// <summary>The batch's loss, in <see cref="TrainerCallback.OnLoss"/>; a callback may replace it (MixUp weighs two targets).</summary>
    public Tensor? Loss { get; set; }

    /// <summary>
    /// Set in <see cref="TrainerCallback.OnBatchBegin"/>, <see cref="TrainerCallback.OnForwardBegin"/>
    /// or <see cref="TrainerCallback.OnLoss"/> to leave this batch out: no backward pass, no step, no
    /// metrics, and gradients gathered for an unfinished accumulation are dropped.
    /// </summary>
    public bool SkipBatch { get; set; }

    /// <summary>The last training batch's loss.</summary>
    public double BatchLoss { get; internal set; }

    /// <summary>
    /// The task's metrics of this epoch's validation, from <see cref="TrainerCallback.OnValidationEnd"/>
    /// on (with the scores and targets a multi-label task keeps); <see langword="null"/> before, or without validation data.
    /// </summary>
    public Runtime.TaskMetrics? ValidationMetrics { get; internal set; }

    /// <summary>The finished epoch's metrics, in <see cref="TrainerCallback.OnEpochEnd"/>.</summary>
    public EpochMetrics? EpochMetrics { get; internal set; }

    /// <summary>Set to <see langword="true"/> to stop after the current epoch.</summary>
    public bool StopTraining { get; set; }

    /// <summary>Why training stopped early, when a callback says.</summary>
    public string? StopReason { get; set; }
}
