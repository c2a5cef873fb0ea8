using CnnClassify.Export;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// ConvNeXt's block (Liu et al., 2022): a 7x7 depthwise convolution, layer normalisation over
/// each pixel's channels, a pointwise MLP that widens the channels four times with GELU, a learned
/// per-channel scale (layer scale), and the input added through <see cref="StochasticDepth"/>.
/// Submodules are <c>block</c> (torchvision's indices: <c>0</c> the convolution, <c>2</c> the norm,
/// <c>3</c> and <c>5</c> the linear layers), <c>layer_scale</c> [C, 1, 1] and <c>stochastic_depth</c>.
/// </summary>
public sealed class ConvNeXtBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    [ComponentName(Name = "block")]
    private readonly Sequential _block;
    [ComponentName(Name = "layer_scale")]
    private readonly Parameter _layerScale;
    [ComponentName(Name = "stochastic_depth")]
    private readonly StochasticDepth _stochasticDepth;

    /// <summary>Creates the block.</summary>
    /// <param name="channels">Channels of the input and output, at least 1.</param>
    /// <param name="layerScale">The layer scale's starting value, 1e-6 in ConvNeXt, so that each block starts close to the identity.</param>
    /// <param name="stochasticDepth">Probability of dropping the branch per sample while training.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public ConvNeXtBlock(long channels, double layerScale = 1e-6, double stochasticDepth = 0)
        : base(nameof(ConvNeXtBlock))
    {
        LayerArguments.Positive(channels, nameof(channels));
        if (!double.IsFinite(layerScale))
        {
            throw new ArgumentOutOfRangeException(nameof(layerScale), layerScale, "The layer scale must be a finite number.");
        }

        _block = nn.Sequential(
            ("0", nn.Conv2d(channels, channels, 7, padding: 3, groups: channels)),
            ("1", new Permute(0, 2, 3, 1)),
            ("2", nn.LayerNorm(channels, eps: 1e-6)),
            ("3", nn.Linear(channels, 4 * channels)),
            ("4", nn.GELU()),
            ("5", nn.Linear(4 * channels, channels)),
            ("6", new Permute(0, 3, 1, 2)));
        using (var start = layerScale.ToScalar())
        {
            _layerScale = new Parameter(torch.full([channels, 1, 1], start));
        }

        _stochasticDepth = new StochasticDepth(stochasticDepth);
        Channels = channels;
        RegisterComponents();
    }

    /// <summary>Channels of the input and output.</summary>
    public long Channels { get; }

    /// <summary>The learned per-channel scale of the branch, [C, 1, 1].</summary>
    public Parameter LayerScale => _layerScale;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var branch = _block.call(input).mul(_layerScale);
        return _stochasticDepth.call(branch).add_(input, HeldScalars.One).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var branch = graph.Apply(_block, OnnxGraph.Child(path, "block"), input).Name;
        var scaled = graph.Node("Mul", [branch, graph.Weight(OnnxGraph.Child(path, "layer_scale"), _layerScale)], path);
        return graph.Node("Add", [scaled, input.Name], path);
    }
}
