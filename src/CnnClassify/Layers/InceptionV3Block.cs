using CnnClassify.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// One of Inception v3's five mixed blocks (Szegedy et al., 2016), made with <see cref="A"/> to
/// <see cref="E"/>: parallel branches of <see cref="ConvBlock"/>s (BatchNorm epsilon 1e-3), some
/// after a 3x3 average pool or made of a strided 3x3 max pool, concatenated along the channels.
/// Block E splits two branches into 1x3 and 3x1 convolutions side by side. Submodules carry
/// torchvision's names, such as <c>branch1x1</c>, <c>branch5x5_1</c> and <c>branch_pool</c>.
/// </summary>
public sealed class InceptionV3Block : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private const double Eps = 1e-3;
    private readonly Dictionary<string, ConvBlock> _convolutions = new(StringComparer.Ordinal);
    private readonly Branch[] _branches;

    private InceptionV3Block(string kind, (string Name, ConvBlock Block)[] convolutions, Branch[] branches)
        : base($"Inception{kind}")
    {
        foreach (var (name, block) in convolutions)
        {
            _convolutions[name] = block;
            register_module(name, block);
        }

        _branches = branches;
        OutChannels = branches.Sum(branch => branch.OutChannels(_convolutions));
    }

    private enum Pooling
    {
        None,
        Average,
        Max,
    }

    /// <summary>Output channels: the branches' together (the max-pool branch keeps its input's).</summary>
    public long OutChannels { get; }

    /// <summary>Block A, at 35x35 in the full-size network: 1x1, 5x5, double 3x3 and pooled 1x1 branches; 224 + <paramref name="poolFeatures"/> channels out.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="poolFeatures">Channels of the pooled branch: 32 or 64.</param>
    public static InceptionV3Block A(long inChannels, long poolFeatures) => new(
        "A",
        [
            ("branch1x1", Conv(inChannels, 64, 1)),
            ("branch5x5_1", Conv(inChannels, 48, 1)), ("branch5x5_2", Conv(48, 64, 5, padding: 2)),
            ("branch3x3dbl_1", Conv(inChannels, 64, 1)), ("branch3x3dbl_2", Conv(64, 96, 3, padding: 1)), ("branch3x3dbl_3", Conv(96, 96, 3, padding: 1)),
            ("branch_pool", Conv(inChannels, poolFeatures, 1)),
        ],
        [new(Pooling.None, ["branch1x1"]), new(Pooling.None, ["branch5x5_1", "branch5x5_2"]), new(Pooling.None, ["branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3"]), new(Pooling.Average, ["branch_pool"])]);

    /// <summary>Block B, the reduction from 35x35 to 17x17: a strided 3x3, a strided double 3x3 and a strided max pool; 480 + <paramref name="inChannels"/> channels out.</summary>
    /// <param name="inChannels">Input channels.</param>
    public static InceptionV3Block B(long inChannels) => new(
        "B",
        [
            ("branch3x3", Conv(inChannels, 384, 3, stride: 2)),
            ("branch3x3dbl_1", Conv(inChannels, 64, 1)), ("branch3x3dbl_2", Conv(64, 96, 3, padding: 1)), ("branch3x3dbl_3", Conv(96, 96, 3, stride: 2)),
        ],
        [new(Pooling.None, ["branch3x3"]), new(Pooling.None, ["branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3"]), new(Pooling.Max, [], InChannels: inChannels)]);

    /// <summary>Block C, at 17x17: 1x1, factorised 7x7, double factorised 7x7 and pooled 1x1 branches; 768 channels out.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="channels7x7">Width inside the 7x7 branches: 128, 160 or 192.</param>
    public static InceptionV3Block C(long inChannels, long channels7x7)
    {
        var c7 = channels7x7;
        return new(
            "C",
            [
                ("branch1x1", Conv(inChannels, 192, 1)),
                ("branch7x7_1", Conv(inChannels, c7, 1)), ("branch7x7_2", Rect(c7, c7, 1, 7)), ("branch7x7_3", Rect(c7, 192, 7, 1)),
                ("branch7x7dbl_1", Conv(inChannels, c7, 1)), ("branch7x7dbl_2", Rect(c7, c7, 7, 1)), ("branch7x7dbl_3", Rect(c7, c7, 1, 7)),
                ("branch7x7dbl_4", Rect(c7, c7, 7, 1)), ("branch7x7dbl_5", Rect(c7, 192, 1, 7)),
                ("branch_pool", Conv(inChannels, 192, 1)),
            ],
            [
                new(Pooling.None, ["branch1x1"]), new(Pooling.None, ["branch7x7_1", "branch7x7_2", "branch7x7_3"]),
                new(Pooling.None, ["branch7x7dbl_1", "branch7x7dbl_2", "branch7x7dbl_3", "branch7x7dbl_4", "branch7x7dbl_5"]), new(Pooling.Average, ["branch_pool"]),
            ]);
    }

    /// <summary>Block D, the reduction from 17x17 to 8x8: strided 3x3 and 7x7-then-3x3 branches and a strided max pool; 512 + <paramref name="inChannels"/> channels out.</summary>
    /// <param name="inChannels">Input channels.</param>
    public static InceptionV3Block D(long inChannels) => new(
        "D",
        [
            ("branch3x3_1", Conv(inChannels, 192, 1)), ("branch3x3_2", Conv(192, 320, 3, stride: 2)),
            ("branch7x7x3_1", Conv(inChannels, 192, 1)), ("branch7x7x3_2", Rect(192, 192, 1, 7)), ("branch7x7x3_3", Rect(192, 192, 7, 1)), ("branch7x7x3_4", Conv(192, 192, 3, stride: 2)),
        ],
        [new(Pooling.None, ["branch3x3_1", "branch3x3_2"]), new(Pooling.None, ["branch7x7x3_1", "branch7x7x3_2", "branch7x7x3_3", "branch7x7x3_4"]), new(Pooling.Max, [], InChannels: inChannels)]);

    /// <summary>Block E, at 8x8: 1x1, split 3x3, double split 3x3 and pooled 1x1 branches; 2,048 channels out.</summary>
    /// <param name="inChannels">Input channels.</param>
    public static InceptionV3Block E(long inChannels) => new(
        "E",
        [
            ("branch1x1", Conv(inChannels, 320, 1)),
            ("branch3x3_1", Conv(inChannels, 384, 1)), ("branch3x3_2a", Rect(384, 384, 1, 3)), ("branch3x3_2b", Rect(384, 384, 3, 1)),
            ("branch3x3dbl_1", Conv(inChannels, 448, 1)), ("branch3x3dbl_2", Conv(448, 384, 3, padding: 1)),
            ("branch3x3dbl_3a", Rect(384, 384, 1, 3)), ("branch3x3dbl_3b", Rect(384, 384, 3, 1)),
            ("branch_pool", Conv(inChannels, 192, 1)),
        ],
        [
            new(Pooling.None, ["branch1x1"]), new(Pooling.None, ["branch3x3_1"], ["branch3x3_2a", "branch3x3_2b"]),
            new(Pooling.None, ["branch3x3dbl_1", "branch3x3dbl_2"], ["branch3x3dbl_3a", "branch3x3dbl_3b"]), new(Pooling.Average, ["branch_pool"]),
        ]);

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var outputs = new List<Tensor>();
        foreach (var branch in _branches)
        {
            var x = branch.Pool switch
            {
                Pooling.Average => nn.functional.avg_pool2d(input, 3, 1, 1),
                Pooling.Max => nn.functional.max_pool2d(input, 3, 2),
                _ => input,
            };
            x = branch.Chain.Aggregate(x, (current, name) => _convolutions[name].call(current));
            if (branch.Fork is { } fork)
            {
                x = torch.cat(fork.Select(name => _convolutions[name].call(x)).ToList(), 1);
            }

            outputs.Add(x);
        }

        return torch.cat(outputs, 1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var outputs = new List<string>();
        foreach (var branch in _branches)
        {
            var x = input;
            if (branch.Pool != Pooling.None)
            {
                using var noGrad = torch.no_grad();
                var (name, sample) = branch.Pool == Pooling.Average
                    ? (graph.Node("AveragePool", [input.Name], path, ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 1, 1 }), ("pads", new long[] { 1, 1, 1, 1 }), ("count_include_pad", 1L)), nn.functional.avg_pool2d(input.Sample, 3, 1, 1))
                    : (graph.Node("MaxPool", [input.Name], path, ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 })), nn.functional.max_pool2d(input.Sample, 3, 2));
                x = new OnnxValue(name, sample);
            }

            foreach (var name in branch.Chain)
            {
                x = graph.Apply(_convolutions[name], OnnxGraph.Child(path, name), x);
            }

            if (branch.Fork is { } fork)
            {
                var parts = fork.Select(name => graph.Apply(_convolutions[name], OnnxGraph.Child(path, name), x).Name).ToList();
                outputs.Add(graph.Node("Concat", parts, path, ("axis", 1L)));
            }
            else
            {
                outputs.Add(x.Name);
            }
        }

        return graph.Node("Concat", outputs, path, ("axis", 1L));
    }

    private static ConvBlock Conv(long inChannels, long outChannels, long kernel, long stride = 1, long padding = 0) =>
        new(inChannels, outChannels, kernel, stride: stride, padding: padding, batchNormEps: Eps);

    private static ConvBlock Rect(long inChannels, long outChannels, long height, long width) =>
        new(inChannels, outChannels, height, width, (height - 1) / 2, (width - 1) / 2, Eps);

    private sealed record Branch(Pooling Pool, string[] Chain, string[]? Fork = null, long InChannels = 0)
    {
        public long OutChannels(Dictionary<string, ConvBlock> convolutions) => Fork is { } fork
            ? fork.Sum(name => convolutions[name].Conv.out_channels)
            : Chain.Length == 0 ? InChannels : convolutions[Chain[^1]].Conv.out_channels;
    }
}
