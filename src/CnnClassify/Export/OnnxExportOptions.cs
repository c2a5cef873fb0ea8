namespace CnnClassify.Export;

/// <summary>How <see cref="OnnxExport.ExportOnnx"/> writes a model.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>
    /// Whether the graph takes raw pixels: a uint8 input <c>pixels</c> [N, C, H, W] with values
    /// 0–255, which the graph scales to [0, 1] and normalises with the model's means and standard
    /// deviations, so that deployed code only decodes and resizes. Otherwise (the default) the
    /// input is <c>input</c>, float32 [N, C, H, W], already prepared as the model's configuration
    /// says.
    /// </summary>
    public bool IncludePreprocessing { get; init; }

    /// <summary>
    /// Whether the weights go into a second file beside the model, <c>NAME.onnx.data</c>, as ONNX's
    /// external data, which ONNX Runtime reads from the model's folder. A single ONNX file holds
    /// at most 2 GiB (protobuf's limit), which RegNet-Y 128GF's 2.6 GB of weights exceed.
    /// <see langword="null"/> (the default) moves them out only for models whose weights pass
    /// 1.5 GiB; <see langword="true"/> always; <see langword="false"/> never, so that exporting a
    /// larger model fails with a message.
    /// </summary>
    public bool? ExternalData { get; init; }

    /// <summary>
    /// Writes the graph with int8 weights and activations in QDQ form, calibrated on
    /// <see cref="Int8Quantization.Calibration"/>; <see langword="null"/> (the default) writes float32.
    /// </summary>
    public Int8Quantization? Quantization { get; init; }
}
