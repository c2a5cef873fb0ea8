using CnnClassify.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// Takes each channel's maximum over its height and width: [N, C, H, W] becomes [N, C], as Keras's
/// <c>GlobalMaxPooling2D</c> does. It has no parameters.
/// </summary>
public sealed class GlobalMaxPool2d : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    /// <summary>Creates the pooling layer.</summary>
    public GlobalMaxPool2d()
        : base(nameof(GlobalMaxPool2d))
    {
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => input.amax([-2L, -1L]);

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input) =>
        OnnxOperators.Flatten(graph, graph.Node("GlobalMaxPool", [input.Name], path), path);
}
