using CnnClassify.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// Reduces each channel over its height and width, [N, C, H, W] to [N, C], and exports as the
/// matching ONNX global pool and a flatten: the logic of <see cref="GlobalAveragePool2d"/> and
/// <see cref="GlobalMaxPool2d"/>. It has no parameters.
/// </summary>
public abstract class GlobalPool2d : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Func<Tensor, long[], Tensor> _reduce;
    private readonly string _onnxOperator;

    private protected GlobalPool2d(string name, Func<Tensor, long[], Tensor> reduce, string onnxOperator)
        : base(name)
    {
        _reduce = reduce;
        _onnxOperator = onnxOperator;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => _reduce(input, [-2L, -1L]);

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input) =>
        OnnxOperators.Flatten(graph, graph.Node(_onnxOperator, [input.Name], path), path);
}
