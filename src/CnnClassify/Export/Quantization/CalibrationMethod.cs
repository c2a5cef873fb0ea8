namespace CnnClassify.Export;

/// <summary>How calibration turns the activations it observes into each tensor's int8 range.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen: nothing is clipped, so one outlier widens every step.</summary>
    MinMax,

    /// <summary>
    /// The values at <see cref="Int8Quantization.Percentile"/> and its complement of the observed
    /// distribution: the rarest extremes are clipped.
    /// </summary>
    Percentile,

    /// <summary>
    /// The clipping threshold whose 128-level quantization of the histogram of absolute values
    /// loses the least information (the smallest Kullback–Leibler divergence), searched over 2,048
    /// bins as TensorRT and ONNX Runtime define it.
    /// </summary>
    Entropy,
}
