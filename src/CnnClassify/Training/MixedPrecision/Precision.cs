namespace CnnClassify.Training;

/// <summary>The arithmetic the forward pass runs in.</summary>
public enum Precision
{
    /// <summary>Everything in float32.</summary>
    Fp32,

    /// <summary>
    /// Autocast to bfloat16: convolutions and matrix products run in bf16, with float32 master
    /// weights, BatchNorm statistics and loss. No loss scaling is needed. The CPU choice.
    /// </summary>
    Bf16,

    /// <summary>Autocast to float16 with dynamic loss scaling (<see cref="GradScaler"/>). The CUDA choice.</summary>
    Fp16,
}
