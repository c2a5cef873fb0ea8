using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Training;

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
        closure is null && FusedAdamKernel.Adam.TryStep(
            _parameter_groups,
            p => TorchSharpAdamState.SlotAfterStep(p, _state[p.Handle]),
            TorchSharpAdamState.Settings,
            p => TorchSharpAdamState.CountStep(_state[p.Handle]))
            ? null!
            : base.step(closure);
}
