using CnnClassify.Export;
using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using BatchNorm2d = CnnClassify.Layers.BatchNorm2d;

namespace CnnClassify.Models;

/// <summary>
/// MNASNet-B1 (Tan et al., 2019) at depth multiplier 0.5, 0.75, 1.0 or 1.3, in torchvision's
/// layout (its version 2, which scales the stem too): a stem and six stacks of
/// <see cref="MnasNetBlock"/>s and a 1x1 convolution to 1,280 channels, all in one sequence
/// <c>layers</c>; the spatial mean, dropout and the head <c>classifier.1</c>. BatchNorm momentum
/// is 0.0003.
/// </summary>
public sealed class MnasNet : ClassificationModel, IOnnxExportable
{
    private const double Momentum = 1 - 0.9997;

    // Kernel, first stride, expansion, repeats of the six stacks (their widths come from the multiplier).
    private static readonly (long Kernel, long Stride, long Expansion, int Repeats)[] Stacks =
        [(3, 2, 3, 3), (5, 2, 3, 3), (5, 2, 6, 3), (3, 1, 6, 2), (5, 2, 6, 4), (3, 1, 6, 1)];

    private static readonly int[] BaseDepths = [32, 16, 24, 40, 80, 96, 192, 320];

    [ComponentName(Name = "layers")]
    private readonly Sequential _layers;
    [ComponentName(Name = "classifier")]
    private Sequential _classifier;

    private MnasNet(double alpha, int numClasses, int inChannels, double dropout)
        : base(nameof(MnasNet))
    {
        var depths = BaseDepths.Select(d => RoundToMultipleOf8(d * alpha)).ToArray();
        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            nn.Conv2d(inChannels, depths[0], 3, stride: 2, padding: 1, bias: false),
            new BatchNorm2d(depths[0], momentum: Momentum),
            nn.ReLU(),
            nn.Conv2d(depths[0], depths[0], 3, padding: 1, groups: depths[0], bias: false),
            new BatchNorm2d(depths[0], momentum: Momentum),
            nn.ReLU(),
            nn.Conv2d(depths[0], depths[1], 1, bias: false),
            new BatchNorm2d(depths[1], momentum: Momentum),
        };
        for (var i = 0; i < Stacks.Length; i++)
        {
            var (kernel, stride, expansion, repeats) = Stacks[i];
            var stack = Enumerable.Range(0, repeats)
                .Select(r => (nn.Module<Tensor, Tensor>)new MnasNetBlock(r == 0 ? depths[i + 1] : depths[i + 2], depths[i + 2], kernel, r == 0 ? stride : 1, expansion, Momentum))
                .ToList();
            layers.Add(nn.Sequential(stack));
        }

        layers.Add(nn.Conv2d(depths[7], 1280, 1, bias: false));
        layers.Add(new BatchNorm2d(1280, momentum: Momentum));
        layers.Add(nn.ReLU());
        _layers = nn.Sequential(layers);
        _classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(1280, numClasses));
        RegisterComponents();

        var init = new WeightInitialization
        {
            Conv = TensorInitializer.KaimingNormal(nn.init.FanInOut.FanOut),
            Linear = TensorInitializer.KaimingUniform(nn.init.FanInOut.FanOut, nn.init.NonlinearityType.Sigmoid),
            NormWeight = 1,
            NormBias = 0,
        };
        init.Apply(this);
        Stages =
        [
            new("stem", Enumerable.Range(0, 8).Select(i => $"layers.{i}").ToList()),
            .. Enumerable.Range(8, Stacks.Length).Select(i => ModelStage.Of($"layers.{i}")),
            new("head_conv", ["layers.14", "layers.15"]),
        ];
    }

    /// <inheritdoc />
    public override string HeadName => "classifier.1";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; }

    /// <summary>MNASNet with depth multiplier <paramref name="alpha"/>: 2,218,512 (0.5), 3,170,208 (0.75), 4,383,312 (1.0) and 6,282,256 (1.3) parameters with 1,000 classes.</summary>
    /// <param name="architecture">The zoo name, such as <c>mnasnet1_0</c>.</param>
    /// <param name="alpha">Width multiplier, above 0.</param>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="dropout">Dropout probability before the head.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public static MnasNet Create(string architecture, double alpha, int numClasses = 1000, int inChannels = 3, double dropout = 0.2)
    {
        if (!(alpha > 0) || !double.IsFinite(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The depth multiplier must be a positive number.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        var model = new MnasNet(alpha, numClasses, inChannels, dropout);
        model.Configuration = ModelConfiguration.ImageNet(architecture, numClasses, inChannels);
        return model;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        return _classifier.call(_layers.call(input).mean([2L, 3L])).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override void ReplaceModule(string path, nn.Module<Tensor, Tensor> replacement)
    {
        var head = AsHeadReplacement(path, replacement);
        _classifier = ModuleSurgery.WithChild(_classifier, "1", head);
        ReRegister("classifier", _classifier);
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var features = graph.Apply(_layers, OnnxGraph.Child(path, "layers"), input);
        return graph.Apply(_classifier, OnnxGraph.Child(path, "classifier"), OnnxOperators.SpatialMean(graph, features, OnnxGraph.Child(path, "mean"))).Name;
    }

    // Rounds to a multiple of 8, at least 8, and up when rounding down would lose more than 10 %.
    private static long RoundToMultipleOf8(double value)
    {
        var rounded = Math.Max(8, (long)(value + 4) / 8 * 8);
        return rounded >= 0.9 * value ? rounded : rounded + 8;
    }
}
