namespace CnnClassify.Layers;

/// <summary>
/// A module that writes its own evaluation-mode forward pass into an ONNX graph. Every layer
/// block and model of this library implements it; implement it on a custom layer to make models
/// that contain it exportable with <c>ExportOnnx</c> (<c>CnnClassify.Export</c>).
/// </summary>
public interface IOnnxExportable
{
    /// <summary>
    /// Adds the nodes that compute this module's output from <paramref name="input"/> in
    /// evaluation mode, with its weights as initializers named after <paramref name="path"/>, and
    /// returns the name of the output value. Child modules are written with
    /// <see cref="OnnxGraph.Apply"/>.
    /// </summary>
    /// <param name="graph">The graph being written.</param>
    /// <param name="path">The module's dotted state-dict path, such as <c>layer1.0</c>; empty for the model itself.</param>
    /// <param name="input">The input value, with a sample of it from the TorchSharp module for shapes.</param>
    /// <returns>The name of the value that holds the module's output.</returns>
    string ExportOnnx(OnnxGraph graph, string path, OnnxValue input);
}
