using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// TorchSharp's RMSprop with the same state and arithmetic, whose step holds every Scalar it
/// passes to LibTorch until the call returns (see <see cref="HeldScalarSgd"/>). Saved states load into either.
/// </summary>
internal sealed class HeldScalarRmsProp(IEnumerable<RMSProp.ParamGroup> groups, double learningRate, double alpha, double eps, double weightDecay, double momentum)
    : RMSProp(groups, learningRate, alpha, eps, weightDecay, momentum)
{
    /// <inheritdoc />
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        var momentumValue = options.momentum!.Value;
        var decayValue = options.weight_decay!.Value;
        var alphaValue = options.alpha!.Value;
        var learningRate = options.LearningRate!.Value;
        using var decay = decayValue.ToScalar();
        using var alpha = alphaValue.ToScalar();
        using var rest = (1 - alphaValue).ToScalar();
        using var eps = options.eps!.Value.ToScalar();
        using var momentum = momentumValue.ToScalar();
        using var stepSize = (-learningRate).ToScalar();
        using var minusOne = (-1).ToScalar();
        foreach (var parameter in group.Parameters)
        {
            var state = (State)_state[parameter.Handle];
            if (parameter.grad is not { } grad)
            {
                continue;
            }

            if (options.maximize!.Value)
            {
                grad = grad.neg();
            }

            state.step += 1;
            if (decayValue != 0)
            {
                grad = grad.add(parameter, alpha: decay);
            }

            state.square_avg.mul_(alpha).addcmul_(grad, grad, value: rest);
            Tensor average;
            if (options.centered!.Value)
            {
                state.grad_avg.mul_(alpha).add_(grad, alpha: rest);
                average = state.square_avg.addcmul(state.grad_avg, state.grad_avg, value: minusOne).sqrt_().add_(eps, HeldScalars.One);
            }
            else
            {
                average = state.square_avg.sqrt().add_(eps, HeldScalars.One);
            }

            if (momentumValue > 0)
            {
                state.momentum_buffer.mul_(momentum).addcdiv_(grad, average, HeldScalars.One);
                parameter.add_(state.momentum_buffer, alpha: stepSize);
            }
            else
            {
                parameter.addcdiv_(grad, average, stepSize);
            }
        }
    }, closure);
}
