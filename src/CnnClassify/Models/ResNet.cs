using CnnClassify.Export;
using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using BatchNorm2d = CnnClassify.Layers.BatchNorm2d;

namespace CnnClassify.Models;

/// <summary>
/// ResNet (He et al., 2016) in torchvision's layout: a 7x7 stem, four stages of residual blocks
/// (<c>layer1</c> to <c>layer4</c>), global average pooling and the head <c>fc</c>. State-dict
/// keys and parameter counts equal torchvision's.
/// </summary>
public sealed class ResNet : ClassificationModel, IOnnxExportable
{
    [ComponentName(Name = "conv1")]
    private readonly Conv2d _conv1;
    [ComponentName(Name = "bn1")]
    private readonly BatchNorm2d _bn1;
    [ComponentName(Name = "relu")]
    private readonly ReLU _relu;
    [ComponentName(Name = "maxpool")]
    private readonly MaxPool2d _maxpool;
    [ComponentName(Name = "layer1")]
    private readonly Sequential _layer1;
    [ComponentName(Name = "layer2")]
    private readonly Sequential _layer2;
    [ComponentName(Name = "layer3")]
    private readonly Sequential _layer3;
    [ComponentName(Name = "layer4")]
    private readonly Sequential _layer4;
    [ComponentName(Name = "avgpool")]
    private readonly AdaptiveAvgPool2d _avgpool;
    [ComponentName(Name = "fc")]
    private Linear _fc;

    /// <summary>Creates a ResNet.</summary>
    /// <param name="block">The residual block type.</param>
    /// <param name="blocksPerStage">Blocks in each of the four stages, such as [2, 2, 2, 2] for ResNet-18.</param>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels: 3 for RGB, 1 for grayscale.</param>
    /// <param name="zeroInitResidual">Whether each block's last BatchNorm starts at zero, so blocks start as identities.</param>
    /// <param name="groups">Groups of each bottleneck's 3x3 convolution: 32 or 64 for ResNeXt.</param>
    /// <param name="widthPerGroup">Channels per group of the 3x3 convolution at the first stage: 64 for ResNet, 4 or 8 for ResNeXt, 128 for Wide ResNet.</param>
    /// <exception cref="ArgumentException">There are not four stages, a count is below 1, or basic blocks are asked for groups or another width.</exception>
    public ResNet(ResidualBlockKind block, IReadOnlyList<int> blocksPerStage, int numClasses = 1000, int inChannels = 3, bool zeroInitResidual = false, int groups = 1, int widthPerGroup = 64)
        : base(nameof(ResNet))
    {
        ArgumentNullException.ThrowIfNull(blocksPerStage);
        if (blocksPerStage.Count != 4 || blocksPerStage.Any(count => count < 1))
        {
            throw new ArgumentException($"ResNet needs four stages of at least one block; got [{string.Join(", ", blocksPerStage)}].", nameof(blocksPerStage));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(widthPerGroup, 1);
        if (block == ResidualBlockKind.Basic && (groups != 1 || widthPerGroup != 64))
        {
            throw new ArgumentException("Basic blocks support only groups 1 and width 64, as in torchvision; use bottleneck blocks for ResNeXt and Wide ResNet.", nameof(groups));
        }

        var expansion = block == ResidualBlockKind.Basic ? BasicResidualBlock.Expansion : BottleneckResidualBlock.Expansion;
        _conv1 = nn.Conv2d(inChannels, 64, 7, stride: 2, padding: 3, bias: false);
        _bn1 = new BatchNorm2d(64);
        _relu = nn.ReLU();
        _maxpool = nn.MaxPool2d(3, stride: 2, padding: 1);
        long channels = 64;
        Sequential Stage(long planes, int count, long stride)
        {
            var blocks = new List<nn.Module<Tensor, Tensor>>();
            for (var i = 0; i < count; i++)
            {
                var s = i == 0 ? stride : 1;
                blocks.Add(block == ResidualBlockKind.Basic
                    ? new BasicResidualBlock(channels, planes, s)
                    : new BottleneckResidualBlock(channels, planes, s, groups, widthPerGroup));
                channels = planes * expansion;
            }

            return nn.Sequential(blocks);
        }

        _layer1 = Stage(64, blocksPerStage[0], 1);
        _layer2 = Stage(128, blocksPerStage[1], 2);
        _layer3 = Stage(256, blocksPerStage[2], 2);
        _layer4 = Stage(512, blocksPerStage[3], 2);
        _avgpool = nn.AdaptiveAvgPool2d(1);
        _fc = nn.Linear(512 * expansion, numClasses);
        RegisterComponents();

        var init = WeightInitialization.PyTorchDefault with
        {
            Conv = TensorInitializer.KaimingNormal(nn.init.FanInOut.FanOut),
            NormWeight = 1,
            NormBias = 0,
            ZeroInitResidual = zeroInitResidual,
        };
        init.Apply(this);
        Configuration = ModelConfiguration.ImageNet(null, numClasses, inChannels);
    }

    /// <inheritdoc />
    public override string HeadName => "fc";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; } =
        [new("stem", ["conv1", "bn1"]), ModelStage.Of("layer1"), ModelStage.Of("layer2"), ModelStage.Of("layer3"), ModelStage.Of("layer4")];

    /// <summary>ResNet-18: basic blocks [2, 2, 2, 2]; 11,689,512 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static ResNet ResNet18(int numClasses = 1000, int inChannels = 3) => WithArchitecture(new ResNet(ResidualBlockKind.Basic, [2, 2, 2, 2], numClasses, inChannels), "resnet18");

    /// <summary>ResNet-34: basic blocks [3, 4, 6, 3].</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static ResNet ResNet34(int numClasses = 1000, int inChannels = 3) => WithArchitecture(new ResNet(ResidualBlockKind.Basic, [3, 4, 6, 3], numClasses, inChannels), "resnet34");

    /// <summary>ResNet-50: bottleneck blocks [3, 4, 6, 3].</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static ResNet ResNet50(int numClasses = 1000, int inChannels = 3) => WithArchitecture(new ResNet(ResidualBlockKind.Bottleneck, [3, 4, 6, 3], numClasses, inChannels), "resnet50");

    /// <summary>ResNet-101: bottleneck blocks [3, 4, 23, 3].</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static ResNet ResNet101(int numClasses = 1000, int inChannels = 3) => WithArchitecture(new ResNet(ResidualBlockKind.Bottleneck, [3, 4, 23, 3], numClasses, inChannels), "resnet101");

    /// <summary>ResNet-152: bottleneck blocks [3, 8, 36, 3].</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static ResNet ResNet152(int numClasses = 1000, int inChannels = 3) => WithArchitecture(new ResNet(ResidualBlockKind.Bottleneck, [3, 8, 36, 3], numClasses, inChannels), "resnet152");

    /// <summary>ResNeXt-50 32x4d: bottleneck blocks [3, 4, 6, 3] with 32 groups of width 4; 25,028,904 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static ResNet ResNeXt50(int numClasses = 1000, int inChannels = 3) => WithArchitecture(new ResNet(ResidualBlockKind.Bottleneck, [3, 4, 6, 3], numClasses, inChannels, groups: 32, widthPerGroup: 4), "resnext50_32x4d");

    /// <summary>ResNeXt-101 32x8d: bottleneck blocks [3, 4, 23, 3] with 32 groups of width 8.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static ResNet ResNeXt101With32x8d(int numClasses = 1000, int inChannels = 3) => WithArchitecture(new ResNet(ResidualBlockKind.Bottleneck, [3, 4, 23, 3], numClasses, inChannels, groups: 32, widthPerGroup: 8), "resnext101_32x8d");

    /// <summary>ResNeXt-101 64x4d: bottleneck blocks [3, 4, 23, 3] with 64 groups of width 4.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static ResNet ResNeXt101With64x4d(int numClasses = 1000, int inChannels = 3) => WithArchitecture(new ResNet(ResidualBlockKind.Bottleneck, [3, 4, 23, 3], numClasses, inChannels, groups: 64, widthPerGroup: 4), "resnext101_64x4d");

    /// <summary>Wide ResNet-50-2: ResNet-50 with bottlenecks twice as wide; 68,883,240 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static ResNet WideResNet50(int numClasses = 1000, int inChannels = 3) => WithArchitecture(new ResNet(ResidualBlockKind.Bottleneck, [3, 4, 6, 3], numClasses, inChannels, widthPerGroup: 128), "wide_resnet50_2");

    /// <summary>Wide ResNet-101-2: ResNet-101 with bottlenecks twice as wide.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static ResNet WideResNet101(int numClasses = 1000, int inChannels = 3) => WithArchitecture(new ResNet(ResidualBlockKind.Bottleneck, [3, 4, 23, 3], numClasses, inChannels, widthPerGroup: 128), "wide_resnet101_2");

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = _maxpool.call(_relu.call(_bn1.call(_conv1.call(input))));
        x = _layer4.call(_layer3.call(_layer2.call(_layer1.call(x))));
        x = _avgpool.call(x).flatten(1);
        return _fc.call(x).MoveToOuterDisposeScope();
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
        var x = graph.Apply(_maxpool, OnnxGraph.Child(path, "maxpool"), graph.Apply(_relu, OnnxGraph.Child(path, "relu"), graph.Apply(_bn1, OnnxGraph.Child(path, "bn1"), graph.Apply(_conv1, OnnxGraph.Child(path, "conv1"), input))));
        x = graph.Apply(_layer4, OnnxGraph.Child(path, "layer4"), graph.Apply(_layer3, OnnxGraph.Child(path, "layer3"), graph.Apply(_layer2, OnnxGraph.Child(path, "layer2"), graph.Apply(_layer1, OnnxGraph.Child(path, "layer1"), x))));
        var pooled = graph.Apply(_avgpool, OnnxGraph.Child(path, "avgpool"), x);
        var flat = new OnnxValue(OnnxOperators.Flatten(graph, pooled.Name, OnnxGraph.Child(path, "flatten")), pooled.Sample.flatten(1));
        return graph.Apply(_fc, OnnxGraph.Child(path, "fc"), flat).Name;
    }
}
