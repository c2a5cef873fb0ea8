using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Training.Optimizers;

/// <summary>
/// TorchSharp's Adam whose update runs in LibTorch's fused CPU kernel when every parameter fits it
/// (<see cref="FusedAdamKernel"/>), and in TorchSharp's own code otherwise. The state is TorchSharp's,
/// so saved optimizer states load into either.
/// </summary>
internal sealed class FusedAdam(IEnumerable<Adam.ParamGroup> groups, double learningRate, double beta1, double beta2, double eps, double weightDecay)
    : Adam(groups, learningRate, beta1, beta2, eps, weightDecay)
{
    /// <inheritdoc />
    public override Tensor step(Func<Tensor>? closure = null) =>
        closure is null && FusedAdamKernel.Adam.TryStep(_parameter_groups, Slot, Settings, p => ((State)_state[p.Handle]).step++)
            ? null!
            : base.step(closure);

    private AdamSlot? Slot(Parameter parameter)
    {
        var state = (State)_state[parameter.Handle];
        return parameter.grad is { } gradient
            ? new AdamSlot(parameter, gradient, state.exp_avg, state.exp_avg_sq, state.max_exp_avg_sq, state.step + 1)
            : null;
    }

    private static AdamSettings Settings(TorchSharp.Modules.ParamGroup group)
    {
        var options = (Options)group.Options;
        return new AdamSettings(options.LearningRate!.Value, options.beta1!.Value, options.beta2!.Value, options.weight_decay!.Value, options.eps!.Value, options.amsgrad!.Value, options.maximize!.Value);
    }
}
