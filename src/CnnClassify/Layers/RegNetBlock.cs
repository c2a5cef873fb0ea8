using CnnClassify.Export;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// RegNet's residual bottleneck (Radosavovic et al., 2020): in <c>f</c>, a 1x1 convolution
/// (<c>a</c>), a grouped 3x3 convolution that carries the stride (<c>b</c>), an optional
/// squeeze-and-excitation (<c>se</c>, RegNetY) and a linear 1x1 convolution (<c>c</c>), each with
/// BatchNorm; the input is added, through a 1x1 projection (<c>proj</c>) when the width or size
/// changes, and ReLU follows.
/// </summary>
public sealed class RegNetBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    [ComponentName(Name = "proj")]
    private readonly Sequential? _proj;
    [ComponentName(Name = "f")]
    private readonly Sequential _f;
    [ComponentName(Name = "activation")]
    private readonly ReLU _activation;

    /// <summary>Creates the block.</summary>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="outChannels">Output channels, at least 1.</param>
    /// <param name="stride">Stride of the grouped convolution and the projection, at least 1.</param>
    /// <param name="groupWidth">Channels per group of the 3x3 convolution; the bottleneck width must be a multiple of it.</param>
    /// <param name="bottleneckMultiplier">Bottleneck width per output channel, 1 in torchvision's RegNets.</param>
    /// <param name="squeezeExcitationRatio">The squeeze width as a share of <paramref name="inChannels"/> (0.25 in RegNetY), or <see langword="null"/> for none (RegNetX).</param>
    /// <exception cref="ArgumentException">A value is out of range or the widths do not divide.</exception>
    public RegNetBlock(long inChannels, long outChannels, long stride, long groupWidth, double bottleneckMultiplier = 1.0, double? squeezeExcitationRatio = null)
        : base(nameof(RegNetBlock))
    {
        LayerArguments.Positive(inChannels, nameof(inChannels));
        LayerArguments.Positive(outChannels, nameof(outChannels));
        LayerArguments.Positive(stride, nameof(stride));
        LayerArguments.Positive(groupWidth, nameof(groupWidth));
        var bottleneck = (long)Math.Round(outChannels * bottleneckMultiplier, MidpointRounding.ToEven);
        if (bottleneck < 1 || bottleneck % groupWidth != 0)
        {
            throw new ArgumentException($"The bottleneck width {bottleneck} must be a positive multiple of the group width {groupWidth}.", nameof(groupWidth));
        }

        if (inChannels != outChannels || stride != 1)
        {
            _proj = ConvNormActivation.Create(inChannels, outChannels, kernelSize: 1, stride: stride, activation: Activation.None);
        }

        var layers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("a", ConvNormActivation.Create(inChannels, bottleneck, kernelSize: 1)),
            ("b", ConvNormActivation.Create(bottleneck, bottleneck, kernelSize: 3, stride: stride, groups: bottleneck / groupWidth)),
        };
        if (squeezeExcitationRatio is { } ratio and > 0)
        {
            layers.Add(("se", new SqueezeExcitation(bottleneck, (long)Math.Round(ratio * inChannels, MidpointRounding.ToEven))));
        }

        layers.Add(("c", ConvNormActivation.Create(bottleneck, outChannels, kernelSize: 1, activation: Activation.None)));
        _f = nn.Sequential(layers);
        _activation = nn.ReLU();
        RegisterComponents();
    }

    /// <summary>Whether the shortcut is a projection rather than the identity.</summary>
    public bool HasProjection => _proj is not null;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var shortcut = _proj is null ? input : _proj.call(input);
        return _activation.call(_f.call(input).add_(shortcut, HeldScalars.One)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var shortcut = _proj is null ? input.Name : graph.Apply(_proj, OnnxGraph.Child(path, "proj"), input).Name;
        var branch = graph.Apply(_f, OnnxGraph.Child(path, "f"), input).Name;
        return graph.Node("Relu", [graph.Node("Add", [shortcut, branch], path)], path);
    }
}
