using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// AlexNet (Krizhevsky et al., 2012) in torchvision's layout (the single-GPU variant without
/// local response normalisation): five convolutions in <c>features</c>, adaptive pooling to 6x6,
/// and a classifier of two 4096-wide layers with dropout and the head <c>classifier.6</c>.
/// </summary>
public sealed class AlexNet : FeatureClassifierModel
{
    /// <summary>Creates AlexNet; 61,100,840 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="dropout">Dropout probability in the classifier.</param>
    public AlexNet(int numClasses = 1000, int inChannels = 3, double dropout = 0.5)
        : base(
            nameof(AlexNet),
            nn.Sequential(
                nn.Conv2d(inChannels, 64, 11, stride: 4, padding: 2), nn.ReLU(), nn.MaxPool2d(3, stride: 2),
                nn.Conv2d(64, 192, 5, padding: 2), nn.ReLU(), nn.MaxPool2d(3, stride: 2),
                nn.Conv2d(192, 384, 3, padding: 1), nn.ReLU(),
                nn.Conv2d(384, 256, 3, padding: 1), nn.ReLU(),
                nn.Conv2d(256, 256, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(3, stride: 2)),
            nn.AdaptiveAvgPool2d((6, 6)),
            nn.Sequential(
                nn.Dropout(dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
                nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(),
                nn.Linear(4096, numClasses)))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        Configuration = ModelConfiguration.ImageNet("alexnet", numClasses, inChannels);
    }

    /// <inheritdoc />
    public override string HeadName => "classifier.6";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; } =
    [
        ModelStage.Of("features.0"), ModelStage.Of("features.3"), ModelStage.Of("features.6"),
        ModelStage.Of("features.8"), ModelStage.Of("features.10"),
        new("classifier", ["classifier.1", "classifier.4"]),
    ];
}
