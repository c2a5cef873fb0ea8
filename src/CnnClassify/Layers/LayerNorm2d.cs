using CnnClassify.Export;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// Layer normalisation over the channels of each pixel of an [N, C, H, W] map, with a learned
/// scale (<c>weight</c>) and shift (<c>bias</c>) per channel, as ConvNeXt uses it between stages
/// and before its head. Each pixel's C values get mean 0 and variance 1 (plus epsilon).
/// </summary>
public sealed class LayerNorm2d : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    [ComponentName(Name = "weight")]
    private readonly Parameter _weight;
    [ComponentName(Name = "bias")]
    private readonly Parameter _bias;

    /// <summary>Creates the layer with weight 1 and bias 0.</summary>
    /// <param name="channels">Channels of the input, at least 1.</param>
    /// <param name="eps">Added to the variance; ConvNeXt uses 1e-6.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channels"/> is below 1 or <paramref name="eps"/> is not positive.</exception>
    public LayerNorm2d(long channels, double eps = 1e-6)
        : base(nameof(LayerNorm2d))
    {
        LayerArguments.Positive(channels, nameof(channels));
        if (!(eps > 0) || !double.IsFinite(eps))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "Epsilon must be a positive finite number.");
        }

        Channels = channels;
        Eps = eps;
        _weight = new Parameter(torch.ones(channels));
        _bias = new Parameter(torch.zeros(channels));
        RegisterComponents();
    }

    /// <summary>Channels normalised at each pixel.</summary>
    public long Channels { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>The per-channel scale, [C], state-dict name <c>weight</c>.</summary>
    public Parameter Weight => _weight;

    /// <summary>The per-channel shift, [C], state-dict name <c>bias</c>.</summary>
    public Parameter Bias => _bias;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var normalized = nn.functional.layer_norm(input.permute(0, 2, 3, 1), [Channels], _weight, _bias, Eps);
        return normalized.permute(0, 3, 1, 2).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var last = graph.Node("Transpose", [input.Name], path, ("perm", new long[] { 0, 2, 3, 1 }));
        var prefix = path.Length == 0 ? string.Empty : path + ".";
        var normalized = graph.Node("LayerNormalization", [last, graph.Weight(prefix + "weight", _weight), graph.Weight(prefix + "bias", _bias)], path, ("axis", -1L), ("epsilon", (float)Eps));
        return graph.Node("Transpose", [normalized], path, ("perm", new long[] { 0, 3, 1, 2 }));
    }
}
