using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// TorchSharp's SGD with the same state and arithmetic, whose step holds every Scalar it passes
/// to LibTorch until the call returns; TorchSharp's own step converts numbers to Scalars
/// implicitly, which the finalizer can free during the call. Saved states load into either.
/// </summary>
internal sealed class HeldScalarSgd(IEnumerable<SGD.ParamGroup> groups, double learningRate, double momentum, double weightDecay, bool nesterov)
    : SGD(groups, learningRate, momentum, weight_decay: weightDecay, nesterov: nesterov)
{
    /// <inheritdoc />
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = group.Options;
        var momentumValue = options.momentum!.Value;
        var decayValue = options.weight_decay!.Value;
        var learningRate = options.LearningRate!.Value;
        using var decay = decayValue.ToScalar();
        using var momentum = momentumValue.ToScalar();
        using var keep = (1 - options.dampening!.Value).ToScalar();
        using var stepSize = (options.maximize!.Value ? learningRate : -learningRate).ToScalar();
        foreach (var parameter in group.Parameters)
        {
            var state = (State)_state[parameter.Handle];
            if (parameter.grad is not { } grad)
            {
                continue;
            }

            if (decayValue != 0)
            {
                grad = grad.add(parameter, alpha: decay);
            }

            if (momentumValue != 0)
            {
                if (state.momentum_buffer is not { } buffer)
                {
                    state.momentum_buffer = grad.clone().detach().DetachFromDisposeScope();
                    buffer = state.momentum_buffer;
                }
                else
                {
                    buffer.mul_(momentum).add_(grad, alpha: keep);
                }

                grad = options.nesterov!.Value ? grad.add(buffer, alpha: momentum) : buffer;
            }

            parameter.add_(grad, alpha: stepSize);
        }
    }, closure);
}
