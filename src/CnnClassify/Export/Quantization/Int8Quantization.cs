using CnnClassify.Data;

namespace CnnClassify.Export;

/// <summary>
/// Static int8 quantization of an ONNX export (<see cref="OnnxExportOptions.Quantization"/>): the
/// graph is written in QDQ form (QuantizeLinear and DequantizeLinear around each quantized
/// operator), which ONNX Runtime fuses into integer kernels. BatchNorm is folded into the
/// convolution before it; convolution and linear weights become symmetric int8 per output channel
/// (biases int32); activations become uint8 per tensor, with ranges observed on
/// <see cref="Calibration"/>.
/// </summary>
public sealed record Int8Quantization
{
    /// <summary>
    /// The calibration images: a loader over training or validation data with the model's own
    /// preprocessing and no random augmentation. It is read twice (ranges, then histograms) for
    /// <see cref="CalibrationMethod.Percentile"/> and <see cref="CalibrationMethod.Entropy"/>, so
    /// both passes must see the same images; the labels are not used.
    /// </summary>
    public required DataLoader Calibration { get; init; }

    /// <summary>How many calibration images to use, from the start of the loader's first epoch; 512 by default.</summary>
    public int Images { get; init; } = 512;

    /// <summary>
    /// How observed activations become ranges; <see cref="CalibrationMethod.MinMax"/> by default. On
    /// SimpleCNN and ResNet-18 trained on Fashion-MNIST, min–max kept 99.7 % of top-1 answers and
    /// the 99.999th percentile 99.85 % and 99.5 %, both within 0.1 points of float32 accuracy, while
    /// the entropy search, which clips post-ReLU activations hardest, kept 82–90 %; min–max needs
    /// one pass over the calibration images instead of two.
    /// </summary>
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>The percentile kept by <see cref="CalibrationMethod.Percentile"/>, in (50, 100]; 99.999 by default.</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>
    /// Layers that stay in float32, by state-dict path: <c>conv1</c> keeps the first convolution of a
    /// ResNet, <c>fc</c> its classifier, and a path keeps everything under it. A path that names no
    /// layer is refused.
    /// </summary>
    public IReadOnlyList<string> KeepFloat { get; init; } = [];

    /// <summary>
    /// Whether weights use 7 bits ([−63, 63]) instead of 8; <see langword="true"/> by default. On x86
    /// CPUs without VNNI (AVX2, and AVX-512 before Cascade Lake), ONNX Runtime multiplies uint8
    /// activations by int8 weights in pairs summed to 16 bits, which saturates for large values;
    /// the 7-bit weights cannot. On an AVX2 machine they raised SimpleCNN's top-1 agreement with
    /// float32 from 97.8 % to 99.7 % and ResNet-18's from 99.2 % to 99.7 %. Set it to
    /// <see langword="false"/> for files that will only run on CPUs with VNNI or on ARM.
    /// </summary>
    public bool ReduceRange { get; init; } = true;
}
