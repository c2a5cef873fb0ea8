using CnnClassify.Export;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// ShuffleNetV2's unit (Ma et al., 2018). With stride 1 it splits the channels in half, passes
/// one half through (1x1, depthwise 3x3, 1x1) and keeps the other; with stride 2 both branches
/// see the whole input, the first through a depthwise 3x3 and a 1x1. The halves are concatenated
/// and shuffled (<see cref="ChannelShuffle"/>, 2 groups). Submodules are <c>branch1</c> (empty with
/// stride 1) and <c>branch2</c>, with torchvision's indices.
/// </summary>
public sealed class ShuffleNetBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    [ComponentName(Name = "branch1")]
    private readonly Sequential _branch1;
    [ComponentName(Name = "branch2")]
    private readonly Sequential _branch2;

    /// <summary>Creates the unit.</summary>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="outChannels">Output channels, even; with stride 1 they must equal twice the half that passes through, so <paramref name="inChannels"/> = <paramref name="outChannels"/>.</param>
    /// <param name="stride">1 or 2.</param>
    /// <exception cref="ArgumentException">The channel counts do not fit the stride.</exception>
    public ShuffleNetBlock(long inChannels, long outChannels, long stride)
        : base(nameof(ShuffleNetBlock))
    {
        LayerArguments.Positive(inChannels, nameof(inChannels));
        LayerArguments.Positive(outChannels, nameof(outChannels));
        if (stride is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, "The stride must be 1 or 2.");
        }

        if (outChannels % 2 != 0 || (stride == 1 && inChannels != outChannels))
        {
            throw new ArgumentException($"A ShuffleNet unit needs an even output width, equal to the input width with stride 1; got {inChannels} to {outChannels} with stride {stride}.", nameof(outChannels));
        }

        var half = outChannels / 2;
        Stride = stride;
        _branch1 = stride > 1
            ? nn.Sequential(
                nn.Conv2d(inChannels, inChannels, 3, stride: stride, padding: 1, groups: inChannels, bias: false),
                new BatchNorm2d(inChannels),
                nn.Conv2d(inChannels, half, 1, bias: false),
                new BatchNorm2d(half),
                nn.ReLU())
            : nn.Sequential();
        _branch2 = nn.Sequential(
            nn.Conv2d(stride > 1 ? inChannels : half, half, 1, bias: false),
            new BatchNorm2d(half),
            nn.ReLU(),
            nn.Conv2d(half, half, 3, stride: stride, padding: 1, groups: half, bias: false),
            new BatchNorm2d(half),
            nn.Conv2d(half, half, 1, bias: false),
            new BatchNorm2d(half),
            nn.ReLU());
        RegisterComponents();
    }

    /// <summary>The stride: 1 keeps the size, 2 halves it.</summary>
    public long Stride { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        Tensor joined;
        if (Stride == 1)
        {
            var halves = input.chunk(2, 1);
            joined = torch.cat([halves[0], _branch2.call(halves[1])], 1);
        }
        else
        {
            joined = torch.cat([_branch1.call(input), _branch2.call(input)], 1);
        }

        return ChannelShuffle.Shuffle(joined, 2).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        string joined;
        OnnxValue joinedValue;
        using var noGrad = torch.no_grad();
        if (Stride == 1)
        {
            var half = input.Sample.shape[1] / 2;
            var halves = input.Sample.chunk(2, 1);
            var axis = graph.Int64Constant($"{path}.axis", [1], 1);
            var kept = graph.Node("Slice", [input.Name, graph.Int64Constant($"{path}.start", [0], 1), graph.Int64Constant($"{path}.middle", [half], 1), axis], path);
            var rest = graph.Node("Slice", [input.Name, graph.Int64Constant($"{path}.middle", [half], 1), graph.Int64Constant($"{path}.end", [2 * half], 1), axis], path);
            var second = graph.Apply(_branch2, OnnxGraph.Child(path, "branch2"), new OnnxValue(rest, halves[1]));
            joined = graph.Node("Concat", [kept, second.Name], path, ("axis", 1L));
            joinedValue = new OnnxValue(joined, torch.cat([halves[0], second.Sample], 1));
        }
        else
        {
            var first = graph.Apply(_branch1, OnnxGraph.Child(path, "branch1"), input);
            var second = graph.Apply(_branch2, OnnxGraph.Child(path, "branch2"), input);
            joined = graph.Node("Concat", [first.Name, second.Name], path, ("axis", 1L));
            joinedValue = new OnnxValue(joined, torch.cat([first.Sample, second.Sample], 1));
        }

        return ChannelShuffle.Export(graph, path, joinedValue, 2);
    }
}
