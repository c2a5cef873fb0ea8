using TorchSharp;
using static TorchSharp.torch;
using BatchNorm2d = CnnClassify.Layers.BatchNorm2d;

namespace CnnClassify.Models;

/// <summary>
/// The seed's SimpleCNN: three stages of 3x3 convolution, BatchNorm, ReLU and 2x2 max pooling
/// (32, 64 and 128 channels), then 256 units with ReLU and dropout 0.5, and the head. 390,858
/// parameters for 10 classes and 28x28 grayscale input.
/// </summary>
public sealed class SimpleCnn : FeatureClassifierModel
{
    /// <summary>Creates SimpleCNN.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="imageSize">Input height and width, at least 8; 28 for Fashion-MNIST, 32 for CIFAR.</param>
    /// <param name="dropout">Dropout probability before the head.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public SimpleCnn(int numClasses = 10, int inChannels = 1, int imageSize = 28, double dropout = 0.5)
        : base(
            nameof(SimpleCnn),
            nn.Sequential(
                nn.Conv2d(inChannels, 32, 3, padding: 1), new BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 3, padding: 1), new BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(64, 128, 3, padding: 1), new BatchNorm2d(128), nn.ReLU(), nn.MaxPool2d(2)),
            nn.Identity(),
            nn.Sequential(
                nn.Linear(128 * FeatureSize(imageSize) * FeatureSize(imageSize), 256), nn.ReLU(), nn.Dropout(dropout),
                nn.Linear(256, numClasses)))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        Configuration = ModelConfiguration.SmallImages("simplecnn", numClasses, inChannels, imageSize);
    }

    /// <inheritdoc />
    public override string HeadName => "classifier.3";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; } =
    [
        new("block1", ["features.0", "features.1"]), new("block2", ["features.4", "features.5"]),
        new("block3", ["features.8", "features.9"]), ModelStage.Of("classifier.0"),
    ];

    private static long FeatureSize(int imageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 8);
        return imageSize / 8;
    }
}
