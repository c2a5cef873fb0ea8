using CnnClassify.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// Averages each channel over its height and width: [N, C, H, W] becomes [N, C], as Keras's
/// <c>GlobalAveragePooling2D</c> does. It has no parameters.
/// </summary>
public sealed class GlobalAveragePool2d : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    /// <summary>Creates the pooling layer.</summary>
    public GlobalAveragePool2d()
        : base(nameof(GlobalAveragePool2d))
    {
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => input.mean([-2L, -1L]);

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input) =>
        OnnxOperators.Flatten(graph, graph.Node("GlobalAveragePool", [input.Name], path), path);
}
