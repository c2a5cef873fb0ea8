using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// Keeps an exponential moving average of the model's parameters, updated after every optimizer
/// step (<c>ema = decay * ema + (1 - decay) * weight</c>), and validates on the averaged weights.
/// Buffers such as BatchNorm statistics are copied, not averaged.
/// </summary>
public sealed class ExponentialMovingAverage : TrainerCallback
{
    private Dictionary<string, Tensor>? _average;
    private Dictionary<string, Tensor>? _stash;

    /// <summary>Creates the callback.</summary>
    /// <param name="decay">Weight of the old average per step, in [0, 1); 0.999 is common.</param>
    /// <param name="applyAtEnd">Whether the model keeps the averaged weights when training ends.</param>
    public ExponentialMovingAverage(double decay = 0.999, bool applyAtEnd = true)
    {
        if (!(decay >= 0 && decay < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(decay), decay, "The decay must be in [0, 1).");
        }

        (Decay, ApplyAtEnd) = (decay, applyAtEnd);
    }

    /// <summary>Weight of the old average per step.</summary>
    public double Decay { get; }

    /// <summary>Whether the model keeps the averaged weights at the end.</summary>
    public bool ApplyAtEnd { get; }

    /// <summary>The averaged weights by state-dict key, after the first step.</summary>
    public IReadOnlyDictionary<string, Tensor>? Average => _average;

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _average ??= context.Trainer.Model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());
    }

    /// <inheritdoc />
    public override void OnOptimizerStep(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var noGrad = torch.no_grad();
        var parameters = context.Trainer.Model.named_parameters().Select(p => p.name).ToHashSet();
        using var decay = Decay.ToScalar();
        using var rest = (1 - Decay).ToScalar();
        foreach (var (name, tensor) in context.Trainer.Model.state_dict())
        {
            var average = _average![name];
            if (parameters.Contains(name) && tensor.is_floating_point())
            {
                average.mul_(decay).add_(tensor, alpha: rest);
            }
            else
            {
                average.copy_(tensor);
            }
        }
    }

    /// <inheritdoc />
    public override void OnValidationBegin(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var state = context.Trainer.Model.state_dict();
        _stash = state.ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());
        CopyInto(state, _average!);
    }

    /// <inheritdoc />
    public override void OnValidationEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        CopyInto(context.Trainer.Model.state_dict(), _stash!);
        foreach (var tensor in _stash!.Values)
        {
            tensor.Dispose();
        }

        _stash = null;
    }

    /// <inheritdoc />
    public override void OnTrainEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (ApplyAtEnd && _average is not null)
        {
            CopyInto(context.Trainer.Model.state_dict(), _average);
        }
    }

    private static void CopyInto(Dictionary<string, Tensor> target, Dictionary<string, Tensor> source)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, tensor) in target)
        {
            tensor.copy_(source[name]);
        }
    }
}
