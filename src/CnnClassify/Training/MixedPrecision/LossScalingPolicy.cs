using CnnClassify.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// fp16 training: the forward pass under fp16 autocast, and a <see cref="GradScaler"/> around
/// backward and the optimizer step, which it steps only when the gradients are finite.
/// </summary>
internal sealed class LossScalingPolicy(Device device, GradScaler scaler) : PrecisionPolicy.AutocastPolicy(Precision.Fp16, device, ScalarType.Float16)
{
    /// <summary>The scaler, whose state checkpoints keep.</summary>
    public GradScaler Scaler => scaler;

    /// <summary>
    /// The policy training runs for <paramref name="precision"/>: fp16 scales losses, agreeing
    /// through <paramref name="strategy"/> on skipped steps; others run as evaluation does.
    /// </summary>
    public static PrecisionPolicy For(Precision precision, Device device, TrainingStrategy strategy) =>
        precision == Precision.Fp16 ? new LossScalingPolicy(device, new GradScaler { Agree = strategy.Any }) : PrecisionPolicy.For(precision, device);

    /// <inheritdoc/>
    public override void Backward(Tensor loss) => scaler.ScaleLoss(loss).backward();

    /// <inheritdoc/>
    public override void Unscale(optim.Optimizer optimizer) => scaler.Unscale(optimizer);

    /// <inheritdoc/>
    public override void Step(optim.Optimizer optimizer)
    {
        scaler.Step(optimizer);
        scaler.Update();
    }
}
