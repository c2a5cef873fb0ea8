using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// MixUp or CutMix as a callback that acts: before the forward pass it mixes the batch's inputs
/// (seeded by the trainer's seed, the epoch and the batch), and after it asks the trainer's task
/// for the loss over both sets of targets and the targets the metrics count (for single-label:
/// the losses weighed by share, the accuracy counted against the larger share's targets).
/// <see cref="TrainerBuilder.UseBatchMixing"/> adds it first among the callbacks.
/// </summary>
/// <param name="mixer">Such as <c>BatchMixer.MixUp(0.2)</c>.</param>
public sealed class BatchMixing(BatchMixer mixer) : TrainerCallback
{
    /// <summary>The mixer.</summary>
    public BatchMixer Mixer { get; } = mixer ?? throw new ArgumentNullException(nameof(mixer));

    /// <inheritdoc />
    public override void OnForwardBegin(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var random = Seeding.For(context.Trainer.Settings.Seed ?? 0, context.Epoch, context.BatchIndex);
        var targets = context.Targets!;
        (context.Inputs, var otherTargets, var share) = Mixer.Mix(context.Inputs!, targets, random);
        if (share < 1)
        {
            var task = context.Trainer.Task;
            var loss = context.Trainer.Loss;
            context.ComputeLoss = logits => task.MixedLoss(loss, logits, targets, otherTargets, share);
            context.Targets = task.MetricTargets(targets, otherTargets, share);
        }
    }
}
