using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Runtime;

/// <summary>
/// How a precision runs: the autocast region around a forward pass, and what happens around
/// backward and the optimizer step (fp16 training scales the loss there, as Keras's
/// <c>LossScaleOptimizer</c> wraps the step; that policy lives with the trainer). The trainer's
/// loop and the evaluation path ask the policy; neither names a precision.
/// </summary>
internal abstract class PrecisionPolicy
{
    /// <summary>A policy running <paramref name="precision"/>.</summary>
    protected PrecisionPolicy(Precision precision) => Precision = precision;

    /// <summary>The precision this policy runs (never <see cref="Precision.Auto"/>).</summary>
    public Precision Precision { get; }

    /// <summary>
    /// The policy for <paramref name="precision"/> on <paramref name="device"/> without loss
    /// scaling: fp32 as it is, bf16 and fp16 under autocast. Evaluation and prediction run this.
    /// </summary>
    public static PrecisionPolicy For(Precision precision, Device device) => precision switch
    {
        Precision.Bf16 => new AutocastPolicy(precision, device, ScalarType.BFloat16),
        Precision.Fp16 => new AutocastPolicy(precision, device, ScalarType.Float16),
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

    /// <summary>A precision that runs the forward pass under autocast to <paramref name="dtype"/>.</summary>
    internal class AutocastPolicy(Precision precision, Device device, ScalarType dtype) : PrecisionPolicy(precision)
    {
        /// <inheritdoc/>
        public override IDisposable? Autocast() => Runtime.Autocast.Enable(device, dtype);
    }
}
