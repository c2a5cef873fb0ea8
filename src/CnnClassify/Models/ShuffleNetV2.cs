using CnnClassify.Export;
using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using BatchNorm2d = CnnClassify.Layers.BatchNorm2d;

namespace CnnClassify.Models;

/// <summary>
/// ShuffleNetV2 (Ma et al., 2018) at widths 0.5, 1.0, 1.5 and 2.0 in torchvision's layout: a
/// strided 3x3 stem <c>conv1</c> and <c>maxpool</c>, three stages of <see cref="ShuffleNetBlock"/>s
/// (<c>stage2</c> to <c>stage4</c>, 4, 8 and 4 units), a 1x1 convolution <c>conv5</c>, the
/// spatial mean and the head <c>fc</c>.
/// </summary>
public sealed class ShuffleNetV2 : ClassificationModel, IOnnxExportable
{
    [ComponentName(Name = "conv1")]
    private readonly Sequential _conv1;
    [ComponentName(Name = "maxpool")]
    private readonly MaxPool2d _maxpool;
    [ComponentName(Name = "stage2")]
    private readonly Sequential _stage2;
    [ComponentName(Name = "stage3")]
    private readonly Sequential _stage3;
    [ComponentName(Name = "stage4")]
    private readonly Sequential _stage4;
    [ComponentName(Name = "conv5")]
    private readonly Sequential _conv5;
    [ComponentName(Name = "fc")]
    private Linear _fc;

    private ShuffleNetV2(IReadOnlyList<long> widths, int numClasses, int inChannels)
        : base(nameof(ShuffleNetV2))
    {
        _conv1 = nn.Sequential(nn.Conv2d(inChannels, widths[0], 3, stride: 2, padding: 1, bias: false), new BatchNorm2d(widths[0]), nn.ReLU());
        _maxpool = nn.MaxPool2d(3, stride: 2, padding: 1);
        Sequential Stage(long input, long output, int units) =>
            nn.Sequential(Enumerable.Range(0, units).Select(i => (nn.Module<Tensor, Tensor>)new ShuffleNetBlock(i == 0 ? input : output, output, i == 0 ? 2 : 1)));
        _stage2 = Stage(widths[0], widths[1], 4);
        _stage3 = Stage(widths[1], widths[2], 8);
        _stage4 = Stage(widths[2], widths[3], 4);
        _conv5 = nn.Sequential(nn.Conv2d(widths[3], widths[4], 1, bias: false), new BatchNorm2d(widths[4]), nn.ReLU());
        _fc = nn.Linear(widths[4], numClasses);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override string HeadName => "fc";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; } =
        [ModelStage.Of("conv1"), ModelStage.Of("stage2"), ModelStage.Of("stage3"), ModelStage.Of("stage4"), ModelStage.Of("conv5")];

    /// <summary>
    /// ShuffleNetV2 at width <paramref name="width"/>: 0.5, 1.0, 1.5 or 2.0, with 1,366,792,
    /// 2,278,604, 3,503,624 and 7,393,996 parameters with 1,000 classes.
    /// </summary>
    /// <param name="width">The width: 0.5, 1.0, 1.5 or 2.0.</param>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <exception cref="ArgumentOutOfRangeException">The width is not one of the four.</exception>
    public static ShuffleNetV2 Create(double width, int numClasses = 1000, int inChannels = 3)
    {
        long[] widths = width switch
        {
            0.5 => [24, 48, 96, 192, 1024],
            1.0 => [24, 116, 232, 464, 1024],
            1.5 => [24, 176, 352, 704, 1024],
            2.0 => [24, 244, 488, 976, 2048],
            _ => throw new ArgumentOutOfRangeException(nameof(width), width, "ShuffleNetV2 comes in widths 0.5, 1.0, 1.5 and 2.0."),
        };
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        var name = "shufflenet_v2_x" + width.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture).Replace('.', '_');
        return new ShuffleNetV2(widths, numClasses, inChannels) { Configuration = ModelConfiguration.ImageNet(name, numClasses, inChannels) };
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = _maxpool.call(_conv1.call(input));
        x = _conv5.call(_stage4.call(_stage3.call(_stage2.call(x))));
        return _fc.call(x.mean([2L, 3L])).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override void ReplaceModule(string path, nn.Module<Tensor, Tensor> replacement)
    {
        _fc = AsHeadReplacement(path, replacement);
        ReRegister("fc", _fc);
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var x = input;
        foreach (var (module, name) in new (nn.Module<Tensor, Tensor>, string)[] { (_conv1, "conv1"), (_maxpool, "maxpool"), (_stage2, "stage2"), (_stage3, "stage3"), (_stage4, "stage4"), (_conv5, "conv5") })
        {
            x = graph.Apply(module, OnnxGraph.Child(path, name), x);
        }

        return graph.Apply(_fc, OnnxGraph.Child(path, "fc"), OnnxOperators.SpatialMean(graph, x, OnnxGraph.Child(path, "mean"))).Name;
    }
}
