using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// LeNet-5 (LeCun et al., 1998) as the seed trains it on 28x28 digits: 5x5 convolutions with
/// tanh and 2x2 average pooling (the first padded by 2), then 120, 84 and <c>numClasses</c> units
/// with tanh between them. 61,706 parameters for 10 classes and 28x28 grayscale input.
/// </summary>
public sealed class LeNet5 : FeatureClassifierModel
{
    /// <summary>Creates LeNet-5.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="imageSize">Input height and width, at least 12; 28 for MNIST.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public LeNet5(int numClasses = 10, int inChannels = 1, int imageSize = 28)
        : base(
            nameof(LeNet5),
            nn.Sequential(
                nn.Conv2d(inChannels, 6, 5, padding: 2), nn.Tanh(), nn.AvgPool2d(2),
                nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2)),
            nn.Identity(),
            nn.Sequential(
                nn.Linear(16 * FeatureSize(imageSize) * FeatureSize(imageSize), 120), nn.Tanh(),
                nn.Linear(120, 84), nn.Tanh(),
                nn.Linear(84, numClasses)))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        Configuration = ModelConfiguration.SmallImages("lenet5", numClasses, inChannels, imageSize);
    }

    /// <inheritdoc />
    public override string HeadName => "classifier.4";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; } =
        [ModelStage.Of("features.0"), ModelStage.Of("features.3"), new("classifier", ["classifier.0", "classifier.2"])];

    private static long FeatureSize(int imageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 12);
        return ((imageSize / 2) - 4) / 2;
    }
}
