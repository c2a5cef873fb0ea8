using CnnClassify.Export;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// GoogLeNet's four-branch Inception module: a 1x1 convolution; a 1x1 reduction then a 3x3
/// convolution; a 1x1 reduction then a wide convolution; and a 3x3 max pool then a 1x1
/// projection. The branch outputs are concatenated along the channels.
/// </summary>
/// <remarks>
/// Every convolution is a <see cref="ConvBlock"/> without bias, with BatchNorm (epsilon 0.001) and
/// ReLU. Submodules are named <c>branch1</c> to <c>branch4</c>, with <c>0</c> and <c>1</c> inside the
/// two-step branches, as in torchvision's <c>Inception</c>. The wide branch uses a 3x3 kernel by
/// default, as torchvision does (the paper uses 5x5; pass <c>wideKernelSize: 5</c> for that).
/// </remarks>
public sealed class InceptionBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private const double BatchNormEps = 1e-3;

    [ComponentName(Name = "branch1")]
    private readonly ConvBlock _branch1;
    [ComponentName(Name = "branch2")]
    private readonly Sequential _branch2;
    [ComponentName(Name = "branch3")]
    private readonly Sequential _branch3;
    [ComponentName(Name = "branch4")]
    private readonly Sequential _branch4;

    /// <summary>Creates an Inception module.</summary>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="channels">The four branches' channel counts, each at least 1.</param>
    /// <param name="wideKernelSize">Kernel of the wide branch: 3 (torchvision) or 5 (the paper); must be odd.</param>
    /// <exception cref="ArgumentOutOfRangeException">A channel count is below 1, or the kernel is not odd.</exception>
    public InceptionBlock(long inChannels, InceptionChannels channels, long wideKernelSize = 3)
        : base(nameof(InceptionBlock))
    {
        LayerArguments.Positive(inChannels, nameof(inChannels));
        Validate(channels, wideKernelSize);
        Channels = channels;
        _branch1 = Conv(inChannels, channels.Conv1x1, 1);
        _branch2 = nn.Sequential(
            ("0", Conv(inChannels, channels.Reduce3x3, 1)),
            ("1", Conv(channels.Reduce3x3, channels.Conv3x3, 3)));
        _branch3 = nn.Sequential(
            ("0", Conv(inChannels, channels.Reduce5x5, 1)),
            ("1", Conv(channels.Reduce5x5, channels.Conv5x5, wideKernelSize)));
        _branch4 = nn.Sequential(
            ("0", nn.MaxPool2d(3, stride: 1, padding: 1, ceil_mode: true)),
            ("1", Conv(inChannels, channels.PoolProjection, 1)));
        RegisterComponents();
    }

    /// <summary>The branches' channel counts.</summary>
    public InceptionChannels Channels { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var branches = new[] { _branch1.call(input), _branch2.call(input), _branch3.call(input), _branch4.call(input) };
        return torch.cat(branches, dim: 1).MoveToOuterDisposeScope();
    }

    /// <summary>Checks the constructor's channel counts and kernel without creating any weights.</summary>
    internal static void Validate(InceptionChannels channels, long wideKernelSize)
    {
        ArgumentNullException.ThrowIfNull(channels);
        if (wideKernelSize < 1 || wideKernelSize % 2 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(wideKernelSize), wideKernelSize, "The wide branch's kernel must be odd, such as 3 or 5.");
        }

        (string Name, long Value)[] counts =
        [
            (nameof(channels.Conv1x1), channels.Conv1x1), (nameof(channels.Reduce3x3), channels.Reduce3x3),
            (nameof(channels.Conv3x3), channels.Conv3x3), (nameof(channels.Reduce5x5), channels.Reduce5x5),
            (nameof(channels.Conv5x5), channels.Conv5x5), (nameof(channels.PoolProjection), channels.PoolProjection),
        ];
        foreach (var (name, value) in counts.Where(count => count.Value < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), value, $"InceptionChannels.{name} must be at least 1.");
        }
    }

    private static ConvBlock Conv(long inChannels, long outChannels, long kernelSize) =>
        new(inChannels, outChannels, kernelSize, batchNorm: true, batchNormEps: BatchNormEps);

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        string[] branches =
        [
            graph.Apply(_branch1, OnnxGraph.Child(path, "branch1"), input).Name,
            graph.Apply(_branch2, OnnxGraph.Child(path, "branch2"), input).Name,
            graph.Apply(_branch3, OnnxGraph.Child(path, "branch3"), input).Name,
            graph.Apply(_branch4, OnnxGraph.Child(path, "branch4"), input).Name,
        ];
        return graph.Node("Concat", branches, path, ("axis", 1L));
    }
}
