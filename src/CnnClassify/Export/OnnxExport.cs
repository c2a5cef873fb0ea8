using CnnClassify.Models;

namespace CnnClassify.Export;

/// <summary>ONNX export as a method of every <see cref="ClassificationModel"/>.</summary>
public static class OnnxExport
{
    /// <summary>
    /// Writes the model as an ONNX file (opset 17) for ONNX Runtime and other deployment runtimes:
    /// the evaluation-mode forward pass layer by layer, input <c>input</c> [batch, C, H, W] (or
    /// uint8 <c>pixels</c> with <see cref="OnnxExportOptions.IncludePreprocessing"/>), output
    /// <c>logits</c> [batch, classes], a dynamic batch dimension, the weights as initializers named
    /// as in the state dict, and the <see cref="ClassificationModel.Configuration"/> (class names, input size,
    /// preprocessing) in the metadata. The model's training flags are left as they were.
    /// </summary>
    /// <param name="model">The model to write.</param>
    /// <param name="path">The file to write; replaced atomically.</param>
    /// <param name="options">How to write it; <see langword="null"/> for the defaults.</param>
    /// <exception cref="NotSupportedException">A layer has no ONNX translation; the message names its path and type.</exception>
    /// <exception cref="InvalidOperationException">The configuration has no input size.</exception>
    public static void ExportOnnx(this ClassificationModel model, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        OnnxExporter.Export(model, path, options ?? new OnnxExportOptions());
    }
}
