using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// How a precision runs: the autocast region around a forward pass, and, for fp16, the loss
/// scaling around backward and the optimizer step (as Keras's <c>LossScaleOptimizer</c> wraps the
/// step). The trainer's loop and the evaluation path ask the policy; neither names a precision.
/// </summary>
internal abstract class PrecisionPolicy
{
    private protected PrecisionPolicy(Precision precision) => Precision = precision;

    /// <summary>The precision this policy runs (never <see cref="Precision.Auto"/>).</summary>
    public Precision Precision { get; }

    /// <summary>The loss scaler, for fp16; <see langword="null"/> otherwise.</summary>
    public virtual GradScaler? Scaler => null;

    /// <summary>The policy for <paramref name="precision"/> on <paramref name="device"/>: fp16 scales losses with <paramref name="scaler"/>.</summary>
    public static PrecisionPolicy For(Precision precision, Device device, GradScaler? scaler = null) => precision switch
    {
        Precision.Bf16 => new AutocastPolicy(precision, device, ScalarType.BFloat16),
        Precision.Fp16 => new LossScalingPolicy(device, scaler ?? new GradScaler()),
        _ => Fp32Policy.Instance,
    };

    /// <summary>The region a forward pass runs in; <see langword="null"/> for none.</summary>
    public virtual IDisposable? Autocast() => null;

    /// <summary>Backpropagates <paramref name="loss"/>.</summary>
    public virtual void Backward(Tensor loss) => loss.backward();

    /// <summary>Brings the gradients to their true scale before they are clipped.</summary>
    public virtual void Unscale(optim.Optimizer optimizer)
    {
    }

    /// <summary>Steps <paramref name="optimizer"/> (or skips the step, when scaled gradients overflowed).</summary>
    public virtual void Step(optim.Optimizer optimizer) => optimizer.step();

    private sealed class Fp32Policy() : PrecisionPolicy(Precision.Fp32)
    {
        public static readonly Fp32Policy Instance = new();
    }

    private class AutocastPolicy(Precision precision, Device device, ScalarType dtype) : PrecisionPolicy(precision)
    {
        public override IDisposable? Autocast() => Training.Autocast.Enable(device, dtype);
    }

    private sealed class LossScalingPolicy(Device device, GradScaler scaler) : AutocastPolicy(Precision.Fp16, device, ScalarType.Float16)
    {
        public override GradScaler? Scaler => scaler;

        public override void Backward(Tensor loss) => scaler.ScaleLoss(loss).backward();

        public override void Unscale(optim.Optimizer optimizer) => scaler.Unscale(optimizer);

        public override void Step(optim.Optimizer optimizer)
        {
            scaler.Step(optimizer);
            scaler.Update();
        }
    }
}
