using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// MobileNetV2 (Sandler et al., 2018) at width 1.0 in torchvision's layout: a strided stem,
/// seventeen <see cref="InvertedResidualBlock"/>s and a 1x1 convolution to 1,280 channels in
/// <c>features</c>, global average pooling, dropout and the head <c>classifier.1</c>.
/// </summary>
public sealed class MobileNetV2 : FeatureClassifierModel
{
    // Expansion, output channels, repeats, first stride.
    private static readonly (int Expand, int Channels, int Repeats, int Stride)[] Settings =
        [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

    /// <summary>Creates MobileNetV2; 3,504,872 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="dropout">Dropout probability before the head.</param>
    public MobileNetV2(int numClasses = 1000, int inChannels = 3, double dropout = 0.2)
        : base(nameof(MobileNetV2), Features(inChannels), nn.AdaptiveAvgPool2d(1), nn.Sequential(nn.Dropout(dropout), nn.Linear(1280, numClasses)))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        WeightInitialization.KaimingNormal.Apply(this);
        Stages = Enumerable.Range(0, Settings.Sum(s => s.Repeats) + 2).Select(i => ModelStage.Of($"features.{i}")).ToList();
        Configuration = ModelConfiguration.ImageNet("mobilenet_v2", numClasses, inChannels);
    }

    /// <inheritdoc />
    public override string HeadName => "classifier.1";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; }

    private static Sequential Features(int inChannels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        var layers = new List<nn.Module<Tensor, Tensor>> { ConvNormActivation.Create(inChannels, 32, 3, stride: 2, activation: Activation.ReLU6) };
        long channels = 32;
        foreach (var (expand, outChannels, repeats, stride) in Settings)
        {
            for (var i = 0; i < repeats; i++)
            {
                layers.Add(new InvertedResidualBlock(channels, outChannels, i == 0 ? stride : 1, expand));
                channels = outChannels;
            }
        }

        layers.Add(ConvNormActivation.Create(channels, 1280, 1, activation: Activation.ReLU6));
        return nn.Sequential(layers);
    }
}
