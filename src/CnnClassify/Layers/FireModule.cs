using CnnClassify.Export;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// SqueezeNet's Fire module (Iandola et al., 2016): a 1x1 squeeze convolution with ReLU, then
/// 1x1 and 3x3 expand convolutions with ReLU side by side, their outputs concatenated. Submodules
/// are named as in torchvision: <c>squeeze</c>, <c>expand1x1</c> and <c>expand3x3</c>, each
/// followed by its <c>..._activation</c>.
/// </summary>
public sealed class FireModule : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    [ComponentName(Name = "squeeze")]
    private readonly Conv2d _squeeze;
    [ComponentName(Name = "squeeze_activation")]
    private readonly ReLU _squeezeActivation;
    [ComponentName(Name = "expand1x1")]
    private readonly Conv2d _expand1x1;
    [ComponentName(Name = "expand1x1_activation")]
    private readonly ReLU _expand1x1Activation;
    [ComponentName(Name = "expand3x3")]
    private readonly Conv2d _expand3x3;
    [ComponentName(Name = "expand3x3_activation")]
    private readonly ReLU _expand3x3Activation;

    /// <summary>Creates the module; it outputs <paramref name="expand1x1Channels"/> + <paramref name="expand3x3Channels"/> channels.</summary>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="squeezeChannels">Channels of the squeeze convolution.</param>
    /// <param name="expand1x1Channels">Channels of the 1x1 expand convolution.</param>
    /// <param name="expand3x3Channels">Channels of the 3x3 expand convolution.</param>
    /// <exception cref="ArgumentOutOfRangeException">A channel count is below 1.</exception>
    public FireModule(long inChannels, long squeezeChannels, long expand1x1Channels, long expand3x3Channels)
        : base(nameof(FireModule))
    {
        LayerArguments.Positive(inChannels, nameof(inChannels));
        LayerArguments.Positive(squeezeChannels, nameof(squeezeChannels));
        LayerArguments.Positive(expand1x1Channels, nameof(expand1x1Channels));
        LayerArguments.Positive(expand3x3Channels, nameof(expand3x3Channels));
        _squeeze = nn.Conv2d(inChannels, squeezeChannels, 1);
        _squeezeActivation = nn.ReLU();
        _expand1x1 = nn.Conv2d(squeezeChannels, expand1x1Channels, 1);
        _expand1x1Activation = nn.ReLU();
        _expand3x3 = nn.Conv2d(squeezeChannels, expand3x3Channels, 3, padding: 1);
        _expand3x3Activation = nn.ReLU();
        OutChannels = expand1x1Channels + expand3x3Channels;
        RegisterComponents();
    }

    /// <summary>Output channels: both expand widths together.</summary>
    public long OutChannels { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var squeezed = _squeezeActivation.call(_squeeze.call(input));
        var wide = _expand1x1Activation.call(_expand1x1.call(squeezed));
        var spatial = _expand3x3Activation.call(_expand3x3.call(squeezed));
        return torch.cat([wide, spatial], 1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var squeezed = graph.Apply(_squeezeActivation, OnnxGraph.Child(path, "squeeze_activation"), graph.Apply(_squeeze, OnnxGraph.Child(path, "squeeze"), input));
        var wide = graph.Apply(_expand1x1Activation, OnnxGraph.Child(path, "expand1x1_activation"), graph.Apply(_expand1x1, OnnxGraph.Child(path, "expand1x1"), squeezed));
        var spatial = graph.Apply(_expand3x3Activation, OnnxGraph.Child(path, "expand3x3_activation"), graph.Apply(_expand3x3, OnnxGraph.Child(path, "expand3x3"), squeezed));
        return graph.Node("Concat", [wide.Name, spatial.Name], path, ("axis", 1L));
    }
}
