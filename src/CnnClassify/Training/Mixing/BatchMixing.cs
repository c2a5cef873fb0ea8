using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// MixUp or CutMix as a callback that acts: before the forward pass it mixes the batch's inputs
/// (seeded by the trainer's seed, the epoch and the batch), and after it weighs the loss over both
/// sets of targets, with the accuracy counted against the larger share's.
/// <see cref="TrainerBuilder.UseBatchMixing"/> adds it first among the callbacks.
/// </summary>
/// <param name="mixer">Such as <c>BatchMixer.MixUp(0.2)</c>.</param>
public sealed class BatchMixing(BatchMixer mixer) : TrainerCallback
{
    private Tensor? _targets;
    private Tensor? _otherTargets;
    private double _lambda = 1;

    /// <summary>The mixer.</summary>
    public BatchMixer Mixer { get; } = mixer ?? throw new ArgumentNullException(nameof(mixer));

    /// <inheritdoc />
    public override void OnForwardBegin(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var random = Seeding.For(context.Trainer.Settings.Seed ?? 0, context.Epoch, context.BatchIndex);
        (context.Inputs, _otherTargets, _lambda) = Mixer.Mix(context.Inputs!, context.Targets!, random);
        _targets = context.Targets;
    }

    /// <inheritdoc />
    public override void OnLoss(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_lambda < 1)
        {
            context.Loss = context.Trainer.Loss.ComputeMixed(context.Outputs!, _targets!, _otherTargets!, _lambda);
            context.Targets = _lambda >= 0.5 ? _targets : _otherTargets;
        }

        (_targets, _otherTargets, _lambda) = (null, null, 1);
    }
}
