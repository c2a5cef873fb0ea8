using CnnClassify.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// ShuffleNet's channel shuffle (Zhang et al., 2018): splits the C channels of an [N, C, H, W]
/// map into <see cref="Groups"/> groups and interleaves them, so that channel <c>g * (C / groups) + i</c>
/// moves to <c>i * groups + g</c> and the next grouped convolution sees every group. It has no parameters.
/// </summary>
public sealed class ChannelShuffle : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    /// <summary>Creates the layer.</summary>
    /// <param name="groups">Groups to interleave, at least 1; the channel count must be a multiple of it.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="groups"/> is below 1.</exception>
    public ChannelShuffle(long groups)
        : base(nameof(ChannelShuffle))
    {
        LayerArguments.Positive(groups, nameof(groups));
        Groups = groups;
    }

    /// <summary>Groups interleaved.</summary>
    public long Groups { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => Shuffle(input, Groups);

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input) => Export(graph, path, input, Groups);

    /// <summary>Interleaves the channel groups of <paramref name="input"/>.</summary>
    internal static Tensor Shuffle(Tensor input, long groups)
    {
        var (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3]);
        if (channels % groups != 0)
        {
            throw new ArgumentException($"ChannelShuffle with {groups} groups needs a multiple of {groups} channels, not {channels}.", nameof(input));
        }

        using var scope = torch.NewDisposeScope();
        var shuffled = input.view(batch, groups, channels / groups, height, width).transpose(1, 2).contiguous().view(batch, channels, height, width);
        return shuffled.MoveToOuterDisposeScope();
    }

    /// <summary>Writes the shuffle of <paramref name="input"/> as Reshape, Transpose and Reshape.</summary>
    internal static string Export(OnnxGraph graph, string path, OnnxValue input, long groups)
    {
        var (channels, height, width) = (input.Sample.shape[1], input.Sample.shape[2], input.Sample.shape[3]);
        var grouped = graph.Node("Reshape", [input.Name, graph.Int64Constant($"{path}.grouped", [0, groups, channels / groups, height, width], 5)], path);
        var swapped = graph.Node("Transpose", [grouped], path, ("perm", new long[] { 0, 2, 1, 3, 4 }));
        return graph.Node("Reshape", [swapped, graph.Int64Constant($"{path}.shape", [0, channels, height, width], 4)], path);
    }
}
