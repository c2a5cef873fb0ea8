using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// EfficientNet B0 to B7 (Tan and Le, 2019) and EfficientNetV2 S, M and L (Tan and Le, 2021) in
/// torchvision's layout: a strided stem, stages of <see cref="MBConvBlock"/>s (and, in V2,
/// <see cref="FusedMBConvBlock"/>s first) with stochastic depth growing along the network, and a
/// 1x1 convolution to the head width, all in <c>features</c>; global average pooling, dropout and
/// the head <c>classifier.1</c>. B1 to B7 scale B0's widths and depths.
/// </summary>
public sealed class EfficientNet : FeatureClassifierModel
{
    // B0's stages: expansion, kernel, first stride, input and output channels, layers.
    private static readonly StageSetting[] B0Stages =
    [
        new(false, 1, 3, 1, 32, 16, 1), new(false, 6, 3, 2, 16, 24, 2), new(false, 6, 5, 2, 24, 40, 2), new(false, 6, 3, 2, 40, 80, 3),
        new(false, 6, 5, 1, 80, 112, 3), new(false, 6, 5, 2, 112, 192, 4), new(false, 6, 3, 1, 192, 320, 1),
    ];

    private static readonly StageSetting[] V2SStages =
    [
        new(true, 1, 3, 1, 24, 24, 2), new(true, 4, 3, 2, 24, 48, 4), new(true, 4, 3, 2, 48, 64, 4),
        new(false, 4, 3, 2, 64, 128, 6), new(false, 6, 3, 1, 128, 160, 9), new(false, 6, 3, 2, 160, 256, 15),
    ];

    private static readonly StageSetting[] V2MStages =
    [
        new(true, 1, 3, 1, 24, 24, 3), new(true, 4, 3, 2, 24, 48, 5), new(true, 4, 3, 2, 48, 80, 5),
        new(false, 4, 3, 2, 80, 160, 7), new(false, 6, 3, 1, 160, 176, 14), new(false, 6, 3, 2, 176, 304, 18), new(false, 6, 3, 1, 304, 512, 5),
    ];

    private static readonly StageSetting[] V2LStages =
    [
        new(true, 1, 3, 1, 32, 32, 4), new(true, 4, 3, 2, 32, 64, 7), new(true, 4, 3, 2, 64, 96, 7),
        new(false, 4, 3, 2, 96, 192, 10), new(false, 6, 3, 1, 192, 224, 19), new(false, 6, 3, 2, 224, 384, 25), new(false, 6, 3, 1, 384, 640, 7),
    ];

    private EfficientNet(string architecture, Sequential features, long featureChannels, int numClasses, int inChannels, double dropout)
        : base(nameof(EfficientNet), features, nn.AdaptiveAvgPool2d(1), nn.Sequential(nn.Dropout(dropout), nn.Linear(featureChannels, numClasses)))
    {
        var range = 1.0 / Math.Sqrt(numClasses);
        var init = WeightInitialization.PyTorchDefault with
        {
            Conv = TensorInitializer.KaimingNormal(nn.init.FanInOut.FanOut),
            Linear = TensorInitializer.Uniform(-range, range),
            NormWeight = 1,
            NormBias = 0,
        };
        init.Apply(this);
        Stages = Enumerable.Range(0, (int)features.Count).Select(i => ModelStage.Of($"features.{i}")).ToList();
        Configuration = ModelConfiguration.ImageNet(architecture, numClasses, inChannels);
    }

    /// <inheritdoc />
    public override string HeadName => "classifier.1";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; }

    /// <summary>EfficientNet-B0; 5,288,548 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="dropout">Dropout probability before the head.</param>
    /// <param name="stochasticDepth">Stochastic-depth probability of the last block; earlier blocks get proportionally less.</param>
    public static EfficientNet B0(int numClasses = 1000, int inChannels = 3, double dropout = 0.2, double stochasticDepth = 0.2) =>
        Scaled("efficientnet_b0", 1.0, 1.0, numClasses, inChannels, dropout, stochasticDepth);

    /// <summary>
    /// EfficientNet-B<paramref name="size"/>, B0 with torchvision's width and depth multipliers
    /// (B1 1.0 and 1.1 up to B7 2.0 and 3.1), its dropout (0.2 to 0.5), and BatchNorm epsilon 1e-3
    /// and momentum 0.01 from B5 on; 7,794,184 (B1) to 66,347,960 (B7) parameters with 1,000 classes.
    /// </summary>
    /// <param name="size">0 to 7.</param>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not 0 to 7.</exception>
    public static EfficientNet B(int size, int numClasses = 1000, int inChannels = 3)
    {
        (double Width, double Depth, double Dropout)[] sizes =
            [(1.0, 1.0, 0.2), (1.0, 1.1, 0.2), (1.1, 1.2, 0.3), (1.2, 1.4, 0.3), (1.4, 1.8, 0.4), (1.6, 2.2, 0.4), (1.8, 2.6, 0.5), (2.0, 3.1, 0.5)];
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, sizes.Length - 1);
        var (width, depth, dropout) = sizes[size];
        return Scaled($"efficientnet_b{size}", width, depth, numClasses, inChannels, dropout, 0.2);
    }

    /// <summary>EfficientNetV2-S: fused blocks in the first three stages; 21,458,488 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static EfficientNet V2S(int numClasses = 1000, int inChannels = 3) => V2("efficientnet_v2_s", V2SStages, 0.2, numClasses, inChannels);

    /// <summary>EfficientNetV2-M; 54,139,356 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static EfficientNet V2M(int numClasses = 1000, int inChannels = 3) => V2("efficientnet_v2_m", V2MStages, 0.3, numClasses, inChannels);

    /// <summary>EfficientNetV2-L; 118,515,272 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static EfficientNet V2L(int numClasses = 1000, int inChannels = 3) => V2("efficientnet_v2_l", V2LStages, 0.4, numClasses, inChannels);

    private static EfficientNet Scaled(string architecture, double width, double depth, int numClasses, int inChannels, double dropout, double stochasticDepth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        var stages = B0Stages.Select(s => s with
        {
            InChannels = ChannelRounding.MakeDivisible(s.InChannels * width, 8),
            OutChannels = ChannelRounding.MakeDivisible(s.OutChannels * width, 8),
            Layers = (int)Math.Ceiling(s.Layers * depth),
        }).ToArray();
        var (eps, momentum) = architecture is "efficientnet_b5" or "efficientnet_b6" or "efficientnet_b7" ? (1e-3, 0.01) : (1e-5, 0.1);
        var features = Features(inChannels, stages, 4 * stages[^1].OutChannels, stochasticDepth, eps, momentum, out var featureChannels);
        return new EfficientNet(architecture, features, featureChannels, numClasses, inChannels, dropout);
    }

    private static EfficientNet V2(string architecture, StageSetting[] stages, double dropout, int numClasses, int inChannels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        var features = Features(inChannels, stages, 1280, 0.2, 1e-3, 0.1, out var featureChannels);
        return new EfficientNet(architecture, features, featureChannels, numClasses, inChannels, dropout);
    }

    private static Sequential Features(int inChannels, StageSetting[] stages, long lastChannels, double stochasticDepth, double eps, double momentum, out long featureChannels)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            ConvNormActivation.Create(inChannels, stages[0].InChannels, 3, stride: 2, activation: Activation.SiLU, batchNormEps: eps, batchNormMomentum: momentum),
        };
        var totalBlocks = stages.Sum(stage => stage.Layers);
        var blockIndex = 0;
        foreach (var setting in stages)
        {
            var stage = new List<nn.Module<Tensor, Tensor>>();
            for (var i = 0; i < setting.Layers; i++)
            {
                var input = i == 0 ? setting.InChannels : setting.OutChannels;
                var stride = i == 0 ? setting.Stride : 1;
                var dropProbability = stochasticDepth * blockIndex / totalBlocks;
                stage.Add(setting.Fused
                    ? new FusedMBConvBlock(input, setting.OutChannels, setting.Kernel, stride, setting.Expand, dropProbability, eps)
                    : new MBConvBlock(input, setting.OutChannels, setting.Kernel, stride, setting.Expand, dropProbability, eps, momentum));
                blockIndex++;
            }

            layers.Add(nn.Sequential(stage));
        }

        layers.Add(ConvNormActivation.Create(stages[^1].OutChannels, lastChannels, 1, activation: Activation.SiLU, batchNormEps: eps, batchNormMomentum: momentum));
        featureChannels = lastChannels;
        return nn.Sequential(layers);
    }

    private sealed record StageSetting(bool Fused, long Expand, long Kernel, long Stride, long InChannels, long OutChannels, int Layers);
}
