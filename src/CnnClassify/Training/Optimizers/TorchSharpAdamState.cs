using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// Reads and advances the state that TorchSharp's <see cref="Adam"/> and <see cref="AdamW"/> keep per
/// parameter and per group (two families of types with the same fields), for the fused kernel.
/// </summary>
internal static class TorchSharpAdamState
{
    /// <summary>The parameter's tensors and its step count after this step; null without a gradient.</summary>
    public static AdamSlot? SlotAfterStep(Parameter parameter, OptimizerState state)
    {
        if (parameter.grad is not { } gradient)
        {
            return null;
        }

        return state switch
        {
            Adam.State s => new AdamSlot(parameter, gradient, s.exp_avg, s.exp_avg_sq, s.max_exp_avg_sq, s.step + 1),
            AdamW.State s => new AdamSlot(parameter, gradient, s.exp_avg, s.exp_avg_sq, s.max_exp_avg_sq, s.step + 1),
            _ => throw new ArgumentException($"Not an Adam state: {state.GetType().Name}.", nameof(state)),
        };
    }

    /// <summary>Records one more step.</summary>
    public static void CountStep(OptimizerState state)
    {
        switch (state)
        {
            case Adam.State s:
                s.step++;
                break;
            case AdamW.State s:
                s.step++;
                break;
            default:
                throw new ArgumentException($"Not an Adam state: {state.GetType().Name}.", nameof(state));
        }
    }

    /// <summary>A group's settings.</summary>
    public static AdamSettings Settings(ParamGroup group) => group.Options switch
    {
        Adam.Options o => new AdamSettings(o.LearningRate!.Value, o.beta1!.Value, o.beta2!.Value, o.weight_decay!.Value, o.eps!.Value, o.amsgrad!.Value, o.maximize!.Value),
        AdamW.Options o => new AdamSettings(o.LearningRate!.Value, o.beta1!.Value, o.beta2!.Value, o.weight_decay!.Value, o.eps!.Value, o.amsgrad!.Value, o.maximize!.Value),
        var other => throw new ArgumentException($"Not Adam options: {other?.GetType().Name}.", nameof(group)),
    };
}
