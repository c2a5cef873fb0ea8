using CnnClassify.Export;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// The bottleneck residual block of ResNet-50, -101 and -152: a 1x1 convolution that narrows the
/// channels, a 3x3 convolution (which carries the stride), and a 1x1 convolution that widens them
/// by <see cref="Expansion"/>, each with BatchNorm, added to a shortcut and passed through ReLU.
/// </summary>
/// <remarks>
/// The stride sits on the 3x3 convolution, as in torchvision (ResNet v1.5). Submodules are named
/// <c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c>, <c>conv3</c>, <c>bn3</c>, <c>relu</c> and
/// <c>downsample</c>, as in torchvision's <c>Bottleneck</c>.
/// </remarks>
public sealed class BottleneckResidualBlock : nn.Module<Tensor, Tensor>, IResidualBlock, IOnnxExportable
{
    /// <summary>Output channels per unit of <c>planes</c>: 4.</summary>
    public const int Expansion = 4;

    [ComponentName(Name = "conv1")]
    private readonly Conv2d _conv1;
    [ComponentName(Name = "bn1")]
    private readonly BatchNorm2d _bn1;
    [ComponentName(Name = "conv2")]
    private readonly Conv2d _conv2;
    [ComponentName(Name = "bn2")]
    private readonly BatchNorm2d _bn2;
    [ComponentName(Name = "conv3")]
    private readonly Conv2d _conv3;
    [ComponentName(Name = "bn3")]
    private readonly BatchNorm2d _bn3;
    [ComponentName(Name = "relu")]
    private readonly ReLU _relu;
    [ComponentName(Name = "downsample")]
    private readonly Sequential? _downsample;

    /// <summary>Creates a bottleneck block with <c>planes * 4</c> output channels.</summary>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="planes">Base width; the block outputs <c>planes * 4</c> channels.</param>
    /// <param name="stride">Stride of the 3x3 convolution and of the shortcut, at least 1.</param>
    /// <param name="groups">Groups of the 3x3 convolution (32 for ResNeXt-50 32x4d).</param>
    /// <param name="baseWidth">Width per group (4 for ResNeXt-50 32x4d, 128 for Wide ResNet-50-2); the inner width is <c>planes * baseWidth / 64 * groups</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public BottleneckResidualBlock(long inChannels, long planes, long stride = 1, long groups = 1, long baseWidth = 64)
        : base(nameof(BottleneckResidualBlock))
    {
        LayerArguments.Positive(inChannels, nameof(inChannels));
        LayerArguments.Positive(planes, nameof(planes));
        LayerArguments.Positive(stride, nameof(stride));
        LayerArguments.Positive(groups, nameof(groups));
        LayerArguments.Positive(baseWidth, nameof(baseWidth));

        var width = planes * baseWidth / 64 * groups;
        LayerArguments.Positive(width, "planes * baseWidth / 64 * groups");
        var outChannels = planes * Expansion;

        _conv1 = nn.Conv2d(inChannels, width, 1, bias: false);
        _bn1 = new BatchNorm2d(width);
        _conv2 = nn.Conv2d(width, width, 3, stride: stride, padding: 1, groups: groups, bias: false);
        _bn2 = new BatchNorm2d(width);
        _conv3 = nn.Conv2d(width, outChannels, 1, bias: false);
        _bn3 = new BatchNorm2d(outChannels);
        _relu = nn.ReLU();
        _downsample = ResidualShortcut.Create(inChannels, outChannels, stride);
        RegisterComponents();
    }

    /// <summary>Whether the shortcut is a projection (1x1 convolution and BatchNorm) rather than the identity.</summary>
    public bool HasProjection => _downsample is not null;

    BatchNorm2d IResidualBlock.LastBatchNorm => _bn3;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = _relu.call(_bn1.call(_conv1.call(input)));
        x = _relu.call(_bn2.call(_conv2.call(x)));
        var residual = _bn3.call(_conv3.call(x));
        var shortcut = _downsample is null ? input : _downsample.call(input);
        return _relu.call(residual.add_(shortcut, HeldScalars.One)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var x = graph.Apply(_relu, OnnxGraph.Child(path, "relu"), graph.Apply(_bn1, OnnxGraph.Child(path, "bn1"), graph.Apply(_conv1, OnnxGraph.Child(path, "conv1"), input)));
        x = graph.Apply(_relu, OnnxGraph.Child(path, "relu"), graph.Apply(_bn2, OnnxGraph.Child(path, "bn2"), graph.Apply(_conv2, OnnxGraph.Child(path, "conv2"), x)));
        x = graph.Apply(_bn3, OnnxGraph.Child(path, "bn3"), graph.Apply(_conv3, OnnxGraph.Child(path, "conv3"), x));
        var shortcut = _downsample is null ? input.Name : graph.Apply(_downsample, OnnxGraph.Child(path, "downsample"), input).Name;
        return graph.Node("Relu", [graph.Node("Add", [x.Name, shortcut], path)], path);
    }
}
