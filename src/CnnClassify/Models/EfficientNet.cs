using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// EfficientNet-B0 (Tan and Le, 2019) in torchvision's layout: a strided stem, seven stages of
/// <see cref="MBConvBlock"/>s with squeeze-and-excitation and stochastic depth, and a 1x1
/// convolution to 1,280 channels in <c>features</c>; global average pooling, dropout and the head
/// <c>classifier.1</c>.
/// </summary>
public sealed class EfficientNet : FeatureClassifierModel
{
    // Expansion, kernel, first stride, output channels, layers (B0: width and depth 1.0).
    private static readonly (int Expand, int Kernel, int Stride, int Channels, int Layers)[] B0Stages =
        [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)];

    private EfficientNet(int numClasses, int inChannels, double dropout, double stochasticDepth)
        : base(nameof(EfficientNet), Features(inChannels, stochasticDepth), nn.AdaptiveAvgPool2d(1), nn.Sequential(nn.Dropout(dropout), nn.Linear(1280, numClasses)))
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
        Configuration = ModelConfiguration.ImageNet("efficientnet_b0", numClasses, inChannels);
    }

    /// <inheritdoc />
    public override string HeadName => "classifier.1";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; } = Enumerable.Range(0, B0Stages.Length + 2).Select(i => ModelStage.Of($"features.{i}")).ToList();

    /// <summary>EfficientNet-B0; 5,288,548 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="dropout">Dropout probability before the head.</param>
    /// <param name="stochasticDepth">Stochastic-depth probability of the last block; earlier blocks get proportionally less.</param>
    public static EfficientNet B0(int numClasses = 1000, int inChannels = 3, double dropout = 0.2, double stochasticDepth = 0.2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        return new EfficientNet(numClasses, inChannels, dropout, stochasticDepth);
    }

    private static Sequential Features(int inChannels, double stochasticDepth)
    {
        var layers = new List<nn.Module<Tensor, Tensor>> { ConvNormActivation.Create(inChannels, 32, 3, stride: 2, activation: Activation.SiLU) };
        var totalBlocks = B0Stages.Sum(stage => stage.Layers);
        var blockIndex = 0;
        long channels = 32;
        foreach (var (expand, kernel, stride, outChannels, count) in B0Stages)
        {
            var stage = new List<nn.Module<Tensor, Tensor>>();
            for (var i = 0; i < count; i++)
            {
                var dropProbability = stochasticDepth * blockIndex / totalBlocks;
                stage.Add(new MBConvBlock(channels, outChannels, kernel, i == 0 ? stride : 1, expand, dropProbability));
                channels = outChannels;
                blockIndex++;
            }

            layers.Add(nn.Sequential(stage));
        }

        layers.Add(ConvNormActivation.Create(channels, 1280, 1, activation: Activation.SiLU));
        return nn.Sequential(layers);
    }
}
