using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using BatchNorm2d = CnnClassify.Layers.BatchNorm2d;

namespace CnnClassify.Models;

/// <summary>
/// VGG (Simonyan and Zisserman, 2015) in torchvision's layout: 3x3 convolutions (optionally with
/// BatchNorm) between max pools in <c>features</c>, adaptive pooling to 7x7, and a classifier of
/// two 4096-wide layers with dropout and the head <c>classifier.6</c>.
/// </summary>
public sealed class Vgg : FeatureClassifierModel
{
    private const int Pool = 0;

    private static readonly Dictionary<int, int[]> Configurations = new()
    {
        [11] = [64, Pool, 128, Pool, 256, 256, Pool, 512, 512, Pool, 512, 512, Pool],
        [13] = [64, 64, Pool, 128, 128, Pool, 256, 256, Pool, 512, 512, Pool, 512, 512, Pool],
        [16] = [64, 64, Pool, 128, 128, Pool, 256, 256, 256, Pool, 512, 512, 512, Pool, 512, 512, 512, Pool],
        [19] = [64, 64, Pool, 128, 128, Pool, 256, 256, 256, 256, Pool, 512, 512, 512, 512, Pool, 512, 512, 512, 512, Pool],
    };

    private Vgg(int depth, bool batchNorm, int numClasses, int inChannels, double dropout, IReadOnlyList<ModelStage> stages)
        : base($"VGG{depth}", Features(depth, batchNorm, inChannels), nn.AdaptiveAvgPool2d((7, 7)), Classifier(numClasses, dropout))
    {
        Stages = stages;
        var init = WeightInitialization.KaimingNormal;
        init.Apply(this);
    }

    /// <inheritdoc />
    public override string HeadName => "classifier.6";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; }

    /// <summary>Creates VGG-11, -13, -16 or -19.</summary>
    /// <param name="depth">11, 13, 16 or 19.</param>
    /// <param name="batchNorm">Whether each convolution is followed by BatchNorm (torchvision's <c>vgg16_bn</c> and so on).</param>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="dropout">Dropout probability in the classifier.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="depth"/> is not 11, 13, 16 or 19.</exception>
    public static Vgg Create(int depth, bool batchNorm, int numClasses = 1000, int inChannels = 3, double dropout = 0.5)
    {
        if (!Configurations.TryGetValue(depth, out var configuration))
        {
            throw new ArgumentOutOfRangeException(nameof(depth), depth, "VGG comes in depths 11, 13, 16 and 19.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        return new Vgg(depth, batchNorm, numClasses, inChannels, dropout, StagesOf(configuration, batchNorm))
        {
            Configuration = ModelConfiguration.ImageNet($"vgg{depth}{(batchNorm ? "_bn" : "")}", numClasses, inChannels),
        };
    }

    private static Sequential Features(int depth, bool batchNorm, long inChannels)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        var channels = inChannels;
        foreach (var width in Configurations[depth])
        {
            if (width == Pool)
            {
                layers.Add(nn.MaxPool2d(2, stride: 2));
                continue;
            }

            layers.Add(nn.Conv2d(channels, width, 3, padding: 1));
            if (batchNorm)
            {
                layers.Add(new BatchNorm2d(width));
            }

            layers.Add(nn.ReLU());
            channels = width;
        }

        return nn.Sequential(layers);
    }

    private static Sequential Classifier(int numClasses, double dropout) => nn.Sequential(
        nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(4096, numClasses));

    // One stage per block of convolutions between pools, then the classifier's hidden layers.
    private static ModelStage[] StagesOf(int[] configuration, bool batchNorm)
    {
        var stages = new List<ModelStage>();
        var paths = new List<string>();
        var index = 0;
        foreach (var width in configuration)
        {
            if (width == Pool)
            {
                stages.Add(new ModelStage($"block{stages.Count + 1}", [.. paths]));
                paths.Clear();
                index++;
                continue;
            }

            paths.Add($"features.{index}");
            if (batchNorm)
            {
                paths.Add($"features.{index + 1}");
            }

            index += batchNorm ? 3 : 2;
        }

        stages.Add(new ModelStage("classifier", ["classifier.0", "classifier.3"]));
        return [.. stages];
    }
}
