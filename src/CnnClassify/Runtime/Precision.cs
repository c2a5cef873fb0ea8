using CnnClassify.Native;

namespace CnnClassify.Runtime;

/// <summary>The arithmetic the forward pass runs in.</summary>
public enum Precision
{
    /// <summary>Everything in float32.</summary>
    Fp32,

    /// <summary>
    /// Autocast to bfloat16: convolutions and matrix products run in bf16, with float32 master
    /// weights, BatchNorm statistics and loss. No loss scaling is needed. Fast only on CPUs with
    /// native bf16 (<see cref="Native.CpuCapabilities.NativeBf16"/>); elsewhere LibTorch emulates
    /// it, about 8x slower than float32 on an AVX2 CPU.
    /// </summary>
    Bf16,

    /// <summary>Autocast to float16 with dynamic loss scaling (<c>GradScaler</c>). The CUDA choice.</summary>
    Fp16,

    /// <summary>
    /// Chosen by the hardware when the trainer or predictor is built (<see cref="PrecisionChoice"/>):
    /// float16 with loss scaling on CUDA, bf16 on a CPU with native bf16 (AVX-512 BF16 or AMX),
    /// float32 everywhere else.
    /// </summary>
    Auto,
}
