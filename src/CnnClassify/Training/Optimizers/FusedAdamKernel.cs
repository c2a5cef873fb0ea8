using System.Runtime.InteropServices;
using CnnClassify.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// LibTorch's fused CPU Adam update (<c>at::cpu::_fused_adam_</c> and <c>_fused_adamw_</c>), which
/// TorchSharp does not expose. It reads each parameter, its gradient and both moment buffers once and
/// writes them once, where an update made of tensor operations makes about ten passes and several
/// temporary tensors. The step count and the learning rate follow PyTorch's Adam exactly; results
/// differ from the operation-by-operation update only by float rounding.
/// </summary>
internal sealed unsafe class FusedAdamKernel
{
    private readonly IntPtr _function;

    private FusedAdamKernel(string mangledName) => _function = LibTorchExports.Find(mangledName);

    /// <summary>Adam with L2 weight decay added to the gradient.</summary>
    public static FusedAdamKernel Adam { get; } =
        new("_ZN2at3cpu12_fused_adam_EN3c108ArrayRefINS_6TensorEEES4_S4_S4_S4_S4_dddddbbRKSt8optionalIS3_ES8_");

    /// <summary>AdamW: decoupled weight decay applied to the parameter.</summary>
    public static FusedAdamKernel AdamW { get; } =
        new("_ZN2at3cpu13_fused_adamw_EN3c108ArrayRefINS_6TensorEEES4_S4_S4_S4_S4_dddddbbRKSt8optionalIS3_ES8_");

    /// <summary>Whether this LibTorch exports the kernel.</summary>
    public bool IsAvailable => _function != IntPtr.Zero;

    /// <summary>
    /// Whether the kernel can update this parameter: everything on the CPU, dense, of one
    /// floating-point type and in one memory order, contiguous or channels-last (the kernel walks
    /// the buffers as flat arrays, so element i of each must be the same element).
    /// </summary>
    private static bool Fits(Tensor parameter, Tensor gradient, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq)
    {
        Tensor[] tensors = maxExpAvgSq is null ? [parameter, gradient, expAvg, expAvgSq] : [parameter, gradient, expAvg, expAvgSq, maxExpAvgSq];
        return parameter.dtype is ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16 or ScalarType.Float16
            && !gradient.is_sparse
            && (parameter.is_contiguous() || parameter.IsChannelsLast())
            && tensors.All(t => t.device_type == DeviceType.CPU && t.dtype == parameter.dtype && (parameter.is_contiguous() ? t.is_contiguous() : t.IsChannelsLast()));
    }

    /// <summary>
    /// Runs one optimizer step with the kernel when every parameter with a gradient fits it; otherwise
    /// changes nothing and returns false, so the caller can take its operation-by-operation path.
    /// </summary>
    /// <param name="groups">The optimizer's parameter groups.</param>
    /// <param name="slotAfterStep">A parameter's tensors and its step count after this step; null when it has no gradient.</param>
    /// <param name="settings">A group's settings.</param>
    /// <param name="countStep">Records one more step in a parameter's state.</param>
    public bool TryStep(IEnumerable<ParamGroup> groups, Func<Parameter, AdamSlot?> slotAfterStep, Func<ParamGroup, AdamSettings> settings, Action<Parameter> countStep)
    {
        if (!IsAvailable)
        {
            return false;
        }

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var work = groups.Select(g => (Group: g, Slots: g.Parameters.Select(slotAfterStep).OfType<AdamSlot>().ToList())).ToList();
        if (!work.All(w => w.Slots.All(s => Fits(s.Parameter, s.Gradient, s.ExpAvg, s.ExpAvgSq, s.MaxExpAvgSq))))
        {
            return false;
        }

        foreach (var (group, slots) in work)
        {
            Step(slots, settings(group));
            foreach (var slot in slots)
            {
                countStep((Parameter)slot.Parameter);
            }
        }

        return true;
    }

    /// <summary>Updates every parameter in <paramref name="slots"/> in place, with one group's settings.</summary>
    /// <param name="slots">The parameters to update, each with its state; their step counts are already incremented.</param>
    /// <param name="settings">The group's learning rate, betas, epsilon, weight decay, AMSGrad and maximize flags.</param>
    private void Step(IReadOnlyList<AdamSlot> slots, AdamSettings settings)
    {
        if (slots.Count == 0)
        {
            return;
        }

        // The kernel reads each parameter's step from a scalar tensor; parameters usually share one count.
        var stepTensors = slots.Select(s => s.Step).Distinct().ToDictionary(step => step, step => tensor((double)step, ScalarType.Float64));
        var amsgrad = settings.AmsGrad;
        var lists = new[]
        {
            Impls(slots.Select(s => s.Parameter)),
            Impls(slots.Select(s => s.Gradient)),
            Impls(slots.Select(s => s.ExpAvg)),
            Impls(slots.Select(s => s.ExpAvgSq)),
            amsgrad ? Impls(slots.Select(s => s.MaxExpAvgSq!)) : [],
            Impls(slots.Select(s => stepTensors[s.Step])),
        };

        // std::optional<at::Tensor> without a value: an empty pointer and a false flag.
        var none = stackalloc long[2];
        none[0] = 0;
        none[1] = 0;
        var function = (delegate* unmanaged<TensorList, TensorList, TensorList, TensorList, TensorList, TensorList, double, double, double, double, double, byte, byte, long*, long*, void>)_function;
        fixed (IntPtr* parameters = lists[0], gradients = lists[1], expAvgs = lists[2], expAvgSqs = lists[3], maxExpAvgSqs = lists[4], steps = lists[5])
        {
            function(
                new TensorList(parameters, slots.Count), new TensorList(gradients, slots.Count), new TensorList(expAvgs, slots.Count),
                new TensorList(expAvgSqs, slots.Count), new TensorList(maxExpAvgSqs, lists[4].Length), new TensorList(steps, slots.Count),
                settings.LearningRate, settings.Beta1, settings.Beta2, settings.WeightDecay, settings.Eps,
                amsgrad ? (byte)1 : (byte)0, settings.Maximize ? (byte)1 : (byte)0, none, none);
        }

        // The kernel borrowed the tensors; keep their handles alive until it returned.
        GC.KeepAlive(slots);
        GC.KeepAlive(stepTensors);
    }

    // TorchSharp's handle points at an at::Tensor, whose only field is the TensorImpl pointer; an array
    // of those pointers is laid out as an array of at::Tensor.
    private static IntPtr[] Impls(IEnumerable<Tensor> tensors) => [.. tensors.Select(t => Marshal.ReadIntPtr(t.Handle))];

    /// <summary>c10::ArrayRef&lt;at::Tensor&gt;: a pointer and a length, passed by value.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct TensorList(IntPtr* data, nint length)
    {
        public readonly IntPtr* Data = data;
        public readonly nint Length = length;
    }
}
