using CnnClassify.Export;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// The basic residual block of ResNet-18 and ResNet-34: two 3x3 convolutions with BatchNorm,
/// added to a shortcut and passed through ReLU.
/// </summary>
/// <remarks>
/// The shortcut is the identity, or a 1x1 convolution with BatchNorm when the stride or the
/// channel count changes. Submodules are named <c>conv1</c>, <c>bn1</c>, <c>relu</c>, <c>conv2</c>,
/// <c>bn2</c> and <c>downsample</c>, as in torchvision's <c>BasicBlock</c>, so state dicts map one to one.
/// </remarks>
public sealed class BasicResidualBlock : nn.Module<Tensor, Tensor>, IResidualBlock, IOnnxExportable
{
    /// <summary>Output channels per unit of <c>outChannels</c>: 1 for this block.</summary>
    public const int Expansion = 1;

    [ComponentName(Name = "conv1")]
    private readonly Conv2d _conv1;
    [ComponentName(Name = "bn1")]
    private readonly BatchNorm2d _bn1;
    [ComponentName(Name = "relu")]
    private readonly ReLU _relu;
    [ComponentName(Name = "conv2")]
    private readonly Conv2d _conv2;
    [ComponentName(Name = "bn2")]
    private readonly BatchNorm2d _bn2;
    [ComponentName(Name = "downsample")]
    private readonly Sequential? _downsample;

    /// <summary>Creates a basic residual block.</summary>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="outChannels">Output channels, at least 1.</param>
    /// <param name="stride">Stride of the first convolution and of the shortcut, at least 1; 2 halves the height and width.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public BasicResidualBlock(long inChannels, long outChannels, long stride = 1)
        : base(nameof(BasicResidualBlock))
    {
        LayerArguments.Positive(inChannels, nameof(inChannels));
        LayerArguments.Positive(outChannels, nameof(outChannels));
        LayerArguments.Positive(stride, nameof(stride));

        _conv1 = nn.Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
        _bn1 = new BatchNorm2d(outChannels);
        _relu = nn.ReLU();
        _conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1, bias: false);
        _bn2 = new BatchNorm2d(outChannels);
        _downsample = ResidualShortcut.Create(inChannels, outChannels, stride);
        RegisterComponents();
    }

    /// <summary>Whether the shortcut is a projection (1x1 convolution and BatchNorm) rather than the identity.</summary>
    public bool HasProjection => _downsample is not null;

    BatchNorm2d IResidualBlock.LastBatchNorm => _bn2;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var residual = _bn2.call(_conv2.call(_relu.call(_bn1.call(_conv1.call(input)))));
        var shortcut = _downsample is null ? input : _downsample.call(input);
        return _relu.call(residual.add_(shortcut, HeldScalars.One)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var x = graph.Apply(_relu, OnnxGraph.Child(path, "relu"), graph.Apply(_bn1, OnnxGraph.Child(path, "bn1"), graph.Apply(_conv1, OnnxGraph.Child(path, "conv1"), input)));
        x = graph.Apply(_bn2, OnnxGraph.Child(path, "bn2"), graph.Apply(_conv2, OnnxGraph.Child(path, "conv2"), x));
        var shortcut = _downsample is null ? input.Name : graph.Apply(_downsample, OnnxGraph.Child(path, "downsample"), input).Name;
        return graph.Node("Relu", [graph.Node("Add", [x.Name, shortcut], path)], path);
    }
}
