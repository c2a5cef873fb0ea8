using CnnClassify.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Runtime;

/// <summary>
/// The precision a trainer or predictor runs in, resolved from what was asked for and the device:
/// <see cref="Precision.Auto"/> becomes a concrete precision here, and an explicit bf16 on a CPU
/// that emulates it carries a <see cref="Warning"/>.
/// </summary>
public sealed record PrecisionChoice
{
    /// <summary>What was asked for.</summary>
    public required Precision Requested { get; init; }

    /// <summary>What runs: <see cref="Precision.Fp32"/>, <see cref="Precision.Bf16"/> or <see cref="Precision.Fp16"/>, never <see cref="Precision.Auto"/>.</summary>
    public required Precision Precision { get; init; }

    /// <summary>Why, in a few words, such as <c>auto: AVX2 kernels, no native bf16</c>.</summary>
    public required string Reason { get; init; }

    /// <summary>A one-line warning when the choice will be slow (bf16 asked for on a CPU that emulates it); otherwise <see langword="null"/>.</summary>
    public string? Warning { get; init; }

    /// <summary>Resolves <paramref name="requested"/> on <paramref name="device"/> with this CPU's capabilities.</summary>
    /// <param name="requested">The precision asked for.</param>
    /// <param name="device">Where the forward pass runs.</param>
    public static PrecisionChoice For(Precision requested, Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var choice = For(requested, device.type, CpuCapabilities.Current);
        return requested == Precision.Auto && choice.Precision != Precision.Fp32 && !Autocast.IsSupported
            ? choice with { Precision = Precision.Fp32, Reason = "auto: this LibTorch build does not expose autocast" }
            : choice;
    }

    /// <summary>Resolves <paramref name="requested"/> for a device type and CPU; the rule behind <see cref="For(Precision, Device)"/>.</summary>
    /// <param name="requested">The precision asked for.</param>
    /// <param name="device">The device type the forward pass runs on.</param>
    /// <param name="cpu">The CPU's capabilities.</param>
    public static PrecisionChoice For(Precision requested, DeviceType device, CpuCapabilities cpu)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        var cuda = device == DeviceType.CUDA;
        return requested switch
        {
            Precision.Auto when cuda => new() { Requested = requested, Precision = Precision.Fp16, Reason = "auto: CUDA, float16 with loss scaling" },
            Precision.Auto when cpu.NativeBf16 => new() { Requested = requested, Precision = Precision.Bf16, Reason = $"auto: {cpu.AtenCapability} kernels with native bf16" },
            Precision.Auto => new() { Requested = requested, Precision = Precision.Fp32, Reason = $"auto: {Why(cpu)}" },
            Precision.Bf16 when !cuda && cpu.Known && !cpu.NativeBf16 => new()
            {
                Requested = requested,
                Precision = Precision.Bf16,
                Reason = "asked for",
                Warning = $"bf16 was asked for, but this CPU has {Why(cpu)}: LibTorch emulates bf16 there, which trains about 8x slower than float32; use auto or fp32 (--amp auto or --amp none).",
            },
            _ => new() { Requested = requested, Precision = requested, Reason = "asked for" },
        };
    }

    /// <summary>The precision's short name and why, such as <c>fp32 (auto: AVX2 kernels, no native bf16)</c>.</summary>
    public override string ToString() => $"{Name(Precision)} ({Reason})";

    /// <summary>The short name used on the command line and in reports: <c>fp32</c>, <c>bf16</c>, <c>fp16</c> or <c>auto</c>.</summary>
    /// <param name="precision">The precision.</param>
    public static string Name(Precision precision) => precision switch
    {
        Precision.Fp32 => "fp32",
        Precision.Bf16 => "bf16",
        Precision.Fp16 => "fp16",
        _ => "auto",
    };

    private static string Why(CpuCapabilities cpu) => !cpu.Known
        ? "unknown CPU capabilities"
        : cpu.Avx512Bf16 || cpu.AmxTile
            ? $"{cpu.AtenCapability} kernels{(cpu.OneDnnMaxIsa is { } isa ? $" and oneDNN capped to {isa}" : string.Empty)}, so no native bf16"
            : $"{cpu.AtenCapability} kernels, no native bf16";
}
