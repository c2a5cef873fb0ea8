using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// Hooks into the training loop. Override the events you need; all do nothing by default. The
/// built-in features (early stopping, checkpoints, logging, EMA) are callbacks on these same hooks.
/// </summary>
public abstract class TrainerCallback
{
    /// <summary>A name for the callback's saved state; unique among a trainer's callbacks.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>Before the first epoch of <see cref="Trainer.Fit"/>.</summary>
    /// <param name="context">The training state.</param>
    public virtual void OnTrainBegin(TrainingContext context)
    {
    }

    /// <summary>Before each epoch.</summary>
    /// <param name="context">The training state.</param>
    public virtual void OnEpochBegin(TrainingContext context)
    {
    }

    /// <summary>Before each training batch's forward pass.</summary>
    /// <param name="context">The training state.</param>
    public virtual void OnBatchBegin(TrainingContext context)
    {
    }

    /// <summary>
    /// Before the forward pass, with <see cref="TrainingContext.Inputs"/> and
    /// <see cref="TrainingContext.Targets"/> on the device: a callback may replace either, or set
    /// <see cref="TrainingContext.SkipBatch"/>.
    /// </summary>
    /// <param name="context">The training state.</param>
    public virtual void OnForwardBegin(TrainingContext context)
    {
    }

    /// <summary>
    /// After the loss is computed, with <see cref="TrainingContext.Outputs"/> and
    /// <see cref="TrainingContext.Loss"/> set: a callback may replace the loss (and the targets
    /// the metrics count against), or set <see cref="TrainingContext.SkipBatch"/>.
    /// </summary>
    /// <param name="context">The training state.</param>
    public virtual void OnLoss(TrainingContext context)
    {
    }

    /// <summary>After each training batch, with <see cref="TrainingContext.BatchLoss"/> set.</summary>
    /// <param name="context">The training state.</param>
    public virtual void OnBatchEnd(TrainingContext context)
    {
    }

    /// <summary>After each optimizer step (every batch, or every N with gradient accumulation).</summary>
    /// <param name="context">The training state.</param>
    public virtual void OnOptimizerStep(TrainingContext context)
    {
    }

    /// <summary>Before validation.</summary>
    /// <param name="context">The training state.</param>
    public virtual void OnValidationBegin(TrainingContext context)
    {
    }

    /// <summary>After validation.</summary>
    /// <param name="context">The training state.</param>
    public virtual void OnValidationEnd(TrainingContext context)
    {
    }

    /// <summary>After each epoch, with <see cref="TrainingContext.EpochMetrics"/> set; may set <see cref="TrainingContext.StopTraining"/>.</summary>
    /// <param name="context">The training state.</param>
    public virtual void OnEpochEnd(TrainingContext context)
    {
    }

    /// <summary>When <see cref="Trainer.Fit"/> ends, normally, by stopping early, or by an exception.</summary>
    /// <param name="context">The training state.</param>
    public virtual void OnTrainEnd(TrainingContext context)
    {
    }

    /// <summary>State to keep in checkpoints, or <see langword="null"/> for none.</summary>
    public virtual JsonObject? SaveState() => null;

    /// <summary>Restores state saved by <see cref="SaveState"/>.</summary>
    /// <param name="state">The saved state.</param>
    public virtual void LoadState(JsonObject state)
    {
    }

    /// <summary>
    /// Restores state saved by <see cref="SaveState"/> when a checkpoint is loaded into
    /// <paramref name="trainer"/>. It runs after the model weights and before the optimizer state,
    /// so a callback may add the parameter groups that the saved optimizer state holds.
    /// By default it calls <see cref="LoadState(JsonObject)"/>.
    /// </summary>
    /// <param name="state">The saved state.</param>
    /// <param name="trainer">The trainer the checkpoint is loaded into.</param>
    public virtual void LoadState(JsonObject state, Trainer trainer) => LoadState(state);

    /// <summary>
    /// When <see cref="TrainerBuilder.Build"/> runs, before the optimizer is created from the
    /// trainable parameters: the place to freeze parts of the model.
    /// </summary>
    /// <param name="model">The model to be trained.</param>
    public virtual void OnBuild(nn.Module<Tensor, Tensor> model)
    {
    }
}
