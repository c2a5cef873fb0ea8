using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// Dynamic loss scaling for float16 training, as PyTorch's <c>GradScaler</c>: the loss is
/// multiplied by <see cref="Scale"/> before backward so small gradients survive float16; the
/// gradients are divided back before the optimizer step; a step whose gradients hold inf or NaN
/// is skipped and the scale is halved, and after <see cref="GrowthInterval"/> clean steps the
/// scale doubles.
/// </summary>
public sealed class GradScaler
{
    private bool _unscaled;
    private bool _foundNonFinite;

    /// <summary>Creates a scaler.</summary>
    /// <param name="initialScale">The starting scale, above 0 (PyTorch: 65,536).</param>
    /// <param name="growthFactor">Multiplier after <paramref name="growthInterval"/> clean steps, above 1.</param>
    /// <param name="backoffFactor">Multiplier after a step with inf or NaN gradients, in (0, 1).</param>
    /// <param name="growthInterval">Clean steps between growths, at least 1.</param>
    public GradScaler(double initialScale = 65536, double growthFactor = 2, double backoffFactor = 0.5, int growthInterval = 2000)
    {
        if (!(initialScale > 0) || !(growthFactor > 1) || !(backoffFactor > 0 && backoffFactor < 1) || growthInterval < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(initialScale), "Need scale > 0, growth > 1, backoff in (0, 1) and interval >= 1.");
        }

        Scale = initialScale;
        (GrowthFactor, BackoffFactor, GrowthInterval) = (growthFactor, backoffFactor, growthInterval);
    }

    /// <summary>The current scale.</summary>
    public double Scale { get; private set; }

    /// <summary>Multiplier after a run of clean steps.</summary>
    public double GrowthFactor { get; }

    /// <summary>Multiplier after a step with inf or NaN gradients.</summary>
    public double BackoffFactor { get; }

    /// <summary>Clean steps between growths.</summary>
    public int GrowthInterval { get; }

    /// <summary>Clean steps since the last change of scale.</summary>
    public int GrowthTracker { get; private set; }

    /// <summary>
    /// Agrees across the processes of a run whether any found inf or NaN, so that all skip the
    /// step together; <see langword="null"/> in a single process.
    /// </summary>
    internal Func<bool, bool>? Agree { get; init; }

    /// <summary>Steps skipped because their gradients held inf or NaN.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>The loss multiplied by the scale, to call <c>backward</c> on.</summary>
    /// <param name="loss">The loss.</param>
    public Tensor ScaleLoss(Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        using var scale = Scale.ToScalar();
        return loss.mul(scale);
    }

    /// <summary>Divides the gradients by the scale, once per step, and notes whether any is inf or NaN.</summary>
    /// <param name="optimizer">The optimizer whose parameters' gradients to unscale.</param>
    public void Unscale(optim.Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (_unscaled)
        {
            return;
        }

        _unscaled = true;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var inverse = (1.0 / Scale).ToScalar();
        foreach (var parameter in Parameters(optimizer))
        {
            if (parameter.grad is not { } grad)
            {
                continue;
            }

            grad.mul_(inverse);
            _foundNonFinite |= !grad.isfinite().all().item<bool>();
        }

        if (Agree is { } agree)
        {
            _foundNonFinite = agree(_foundNonFinite);
        }
    }

    /// <summary>Unscales if needed, then runs the optimizer step unless a gradient is inf or NaN.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <returns>Whether the step was taken.</returns>
    public bool Step(optim.Optimizer optimizer)
    {
        Unscale(optimizer);
        if (_foundNonFinite)
        {
            SkippedSteps++;
            return false;
        }

        optimizer.step();
        return true;
    }

    /// <summary>Adjusts the scale after a step and gets ready for the next one.</summary>
    public void Update()
    {
        if (_foundNonFinite)
        {
            Scale *= BackoffFactor;
            GrowthTracker = 0;
        }
        else if (++GrowthTracker >= GrowthInterval)
        {
            Scale *= GrowthFactor;
            GrowthTracker = 0;
        }

        (_unscaled, _foundNonFinite) = (false, false);
    }

    /// <summary>Restores the state saved in a checkpoint.</summary>
    /// <param name="scale">The scale.</param>
    /// <param name="growthTracker">Clean steps since the last change.</param>
    public void Restore(double scale, int growthTracker)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        (Scale, GrowthTracker) = (scale, growthTracker);
    }

    private static IEnumerable<Parameter> Parameters(optim.Optimizer optimizer) =>
        optimizer.ParamGroups.Cast<ParamGroup>().SelectMany(group => group.Parameters);
}
