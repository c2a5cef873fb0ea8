using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// MobileNetV3 Large and Small (Howard et al., 2019) in torchvision's layout: a strided stem with
/// hard swish, <see cref="MobileNetV3Block"/>s and a 1x1 convolution to six times the last width
/// in <c>features</c>; global average pooling, then <c>classifier</c>: a linear layer to 1,280
/// (Large) or 1,024 (Small) with hard swish and dropout, and the head <c>classifier.3</c>.
/// BatchNorm uses epsilon 1e-3 and momentum 0.01.
/// </summary>
public sealed class MobileNetV3 : FeatureClassifierModel
{
    // Input, kernel, expanded and output channels, squeeze-and-excitation, hard swish, stride.
    private static readonly BlockSetting[] LargeBlocks =
    [
        new(16, 3, 16, 16, false, false, 1), new(16, 3, 64, 24, false, false, 2), new(24, 3, 72, 24, false, false, 1),
        new(24, 5, 72, 40, true, false, 2), new(40, 5, 120, 40, true, false, 1), new(40, 5, 120, 40, true, false, 1),
        new(40, 3, 240, 80, false, true, 2), new(80, 3, 200, 80, false, true, 1), new(80, 3, 184, 80, false, true, 1),
        new(80, 3, 184, 80, false, true, 1), new(80, 3, 480, 112, true, true, 1), new(112, 3, 672, 112, true, true, 1),
        new(112, 5, 672, 160, true, true, 2), new(160, 5, 960, 160, true, true, 1), new(160, 5, 960, 160, true, true, 1),
    ];

    private static readonly BlockSetting[] SmallBlocks =
    [
        new(16, 3, 16, 16, true, false, 2), new(16, 3, 72, 24, false, false, 2), new(24, 3, 88, 24, false, false, 1),
        new(24, 5, 96, 40, true, true, 2), new(40, 5, 240, 40, true, true, 1), new(40, 5, 240, 40, true, true, 1),
        new(40, 5, 120, 48, true, true, 1), new(48, 5, 144, 48, true, true, 1), new(48, 5, 288, 96, true, true, 2),
        new(96, 5, 576, 96, true, true, 1), new(96, 5, 576, 96, true, true, 1),
    ];

    private MobileNetV3(string architecture, BlockSetting[] blocks, long lastChannels, int numClasses, int inChannels, double dropout)
        : base(nameof(MobileNetV3), Features(inChannels, blocks), nn.AdaptiveAvgPool2d(1), Classifier(6 * blocks[^1].OutChannels, lastChannels, numClasses, dropout))
    {
        var init = WeightInitialization.PyTorchDefault with
        {
            Conv = TensorInitializer.KaimingNormal(nn.init.FanInOut.FanOut),
            Linear = TensorInitializer.Normal(0, 0.01),
            NormWeight = 1,
            NormBias = 0,
        };
        init.Apply(this);
        Stages = [.. Enumerable.Range(0, blocks.Length + 2).Select(i => ModelStage.Of($"features.{i}")), new("classifier", ["classifier.0"])];
        Configuration = ModelConfiguration.ImageNet(architecture, numClasses, inChannels);
    }

    /// <inheritdoc />
    public override string HeadName => "classifier.3";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; }

    /// <summary>MobileNetV3-Large; 5,483,032 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="dropout">Dropout probability before the head.</param>
    public static MobileNetV3 Large(int numClasses = 1000, int inChannels = 3, double dropout = 0.2) =>
        Create("mobilenet_v3_large", LargeBlocks, 1280, numClasses, inChannels, dropout);

    /// <summary>MobileNetV3-Small; 2,542,856 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="dropout">Dropout probability before the head.</param>
    public static MobileNetV3 Small(int numClasses = 1000, int inChannels = 3, double dropout = 0.2) =>
        Create("mobilenet_v3_small", SmallBlocks, 1024, numClasses, inChannels, dropout);

    private static MobileNetV3 Create(string architecture, BlockSetting[] blocks, long lastChannels, int numClasses, int inChannels, double dropout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        return new MobileNetV3(architecture, blocks, lastChannels, numClasses, inChannels, dropout);
    }

    private static Sequential Features(int inChannels, BlockSetting[] blocks)
    {
        const double Eps = 1e-3, Momentum = 0.01;
        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            ConvNormActivation.Create(inChannels, blocks[0].InChannels, 3, stride: 2, activation: Activation.Hardswish, batchNormEps: Eps, batchNormMomentum: Momentum),
        };
        layers.AddRange(blocks.Select(b => new MobileNetV3Block(b.InChannels, b.Kernel, b.Expanded, b.OutChannels, b.SqueezeExcitation, b.HardSwish, b.Stride, Eps, Momentum)));
        layers.Add(ConvNormActivation.Create(blocks[^1].OutChannels, 6 * blocks[^1].OutChannels, 1, activation: Activation.Hardswish, batchNormEps: Eps, batchNormMomentum: Momentum));
        return nn.Sequential(layers);
    }

    private static Sequential Classifier(long features, long hidden, int numClasses, double dropout) =>
        nn.Sequential(nn.Linear(features, hidden), nn.Hardswish(), nn.Dropout(dropout), nn.Linear(hidden, numClasses));

    private sealed record BlockSetting(long InChannels, long Kernel, long Expanded, long OutChannels, bool SqueezeExcitation, bool HardSwish, long Stride);
}
