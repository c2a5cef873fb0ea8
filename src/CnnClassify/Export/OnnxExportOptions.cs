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
}
