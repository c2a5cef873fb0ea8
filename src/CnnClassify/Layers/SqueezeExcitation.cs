using CnnClassify.Export;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// Squeeze-and-excitation (Hu et al., 2018): scales each channel by a gate computed from the
/// channel means through a 1x1 bottleneck. Submodules are named as in torchvision:
/// <c>avgpool</c>, <c>fc1</c>, <c>fc2</c>, <c>activation</c> and <c>scale_activation</c>.
/// </summary>
public sealed class SqueezeExcitation : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    [ComponentName(Name = "avgpool")]
    private readonly AdaptiveAvgPool2d _avgpool;
    [ComponentName(Name = "fc1")]
    private readonly Conv2d _fc1;
    [ComponentName(Name = "fc2")]
    private readonly Conv2d _fc2;
    [ComponentName(Name = "activation")]
    private readonly nn.Module<Tensor, Tensor> _activation;
    [ComponentName(Name = "scale_activation")]
    private readonly nn.Module<Tensor, Tensor> _scaleActivation;

    /// <summary>Creates the block.</summary>
    /// <param name="channels">Channels of the input and output.</param>
    /// <param name="squeezeChannels">Channels of the bottleneck.</param>
    /// <param name="activation">Activation inside the bottleneck; <see langword="null"/> means ReLU. EfficientNet uses SiLU.</param>
    /// <param name="scaleActivation">The gate; <see langword="null"/> means the sigmoid. MobileNetV3 uses <see cref="Activation.Hardsigmoid"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A channel count is below 1.</exception>
    /// <exception cref="ArgumentException">An activation is <see cref="Activation.None"/>.</exception>
    public SqueezeExcitation(long channels, long squeezeChannels, Activation? activation = null, Activation? scaleActivation = null)
        : base(nameof(SqueezeExcitation))
    {
        LayerArguments.Positive(channels, nameof(channels));
        LayerArguments.Positive(squeezeChannels, nameof(squeezeChannels));
        var act = activation ?? Activation.ReLU;
        _avgpool = nn.AdaptiveAvgPool2d(1);
        _fc1 = nn.Conv2d(channels, squeezeChannels, 1);
        _fc2 = nn.Conv2d(squeezeChannels, channels, 1);
        _activation = act.CreateModule() ?? throw new ArgumentException("The bottleneck needs an activation.", nameof(activation));
        _scaleActivation = (scaleActivation ?? Activation.Sigmoid).CreateModule() ?? throw new ArgumentException("The gate needs an activation.", nameof(scaleActivation));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var gate = _scaleActivation.call(_fc2.call(_activation.call(_fc1.call(_avgpool.call(input)))));
        return (input * gate).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var squeezed = graph.Apply(_fc1, OnnxGraph.Child(path, "fc1"), graph.Apply(_avgpool, OnnxGraph.Child(path, "avgpool"), input));
        var gate = graph.Apply(_scaleActivation, OnnxGraph.Child(path, "scale_activation"), graph.Apply(_fc2, OnnxGraph.Child(path, "fc2"), graph.Apply(_activation, OnnxGraph.Child(path, "activation"), squeezed)));
        return graph.Node("Mul", [input.Name, gate.Name], path);
    }
}
