using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// ConvNeXt Tiny, Small, Base and Large (Liu et al., 2022) in torchvision's layout: in
/// <c>features</c>, a 4x4 stride-4 patchify stem with <see cref="LayerNorm2d"/> (<c>features.0</c>),
/// four stages of <see cref="ConvNeXtBlock"/>s (<c>features.1</c>, <c>.3</c>, <c>.5</c>, <c>.7</c>)
/// joined by downsampling layers (LayerNorm2d and a 2x2 stride-2 convolution); global average
/// pooling, then <c>classifier</c>: LayerNorm2d, flattening and the head <c>classifier.2</c>.
/// Stochastic depth grows linearly from 0 at the first block to the model's rate at the last.
/// </summary>
public sealed class ConvNeXt : FeatureClassifierModel
{
    private ConvNeXt(string architecture, long[] widths, int[] depths, double stochasticDepth, int numClasses, int inChannels)
        : base(nameof(ConvNeXt), Features(inChannels, widths, depths, stochasticDepth), nn.AdaptiveAvgPool2d(1), Classifier(widths[^1], numClasses), flatten: false)
    {
        var init = new WeightInitialization
        {
            Conv = TensorInitializer.TruncatedNormal(0, 0.02),
            Linear = TensorInitializer.TruncatedNormal(0, 0.02),
        };
        init.Apply(this);
        Stages =
        [
            ModelStage.Of("features.0"),
            new("stage1", ["features.1"]),
            new("stage2", ["features.2", "features.3"]),
            new("stage3", ["features.4", "features.5"]),
            new("stage4", ["features.6", "features.7"]),
            new("classifier", ["classifier.0"]),
        ];
        Configuration = ModelConfiguration.ImageNet(architecture, numClasses, inChannels);
    }

    /// <inheritdoc />
    public override string HeadName => "classifier.2";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; }

    /// <summary>ConvNeXt-Tiny: widths 96 to 768, depths [3, 3, 9, 3], stochastic depth 0.1; 28,589,128 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static ConvNeXt Tiny(int numClasses = 1000, int inChannels = 3) => Create("convnext_tiny", [96, 192, 384, 768], [3, 3, 9, 3], 0.1, numClasses, inChannels);

    /// <summary>ConvNeXt-Small: widths 96 to 768, depths [3, 3, 27, 3], stochastic depth 0.4; 50,223,688 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static ConvNeXt Small(int numClasses = 1000, int inChannels = 3) => Create("convnext_small", [96, 192, 384, 768], [3, 3, 27, 3], 0.4, numClasses, inChannels);

    /// <summary>ConvNeXt-Base: widths 128 to 1,024, depths [3, 3, 27, 3], stochastic depth 0.5; 88,591,464 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static ConvNeXt Base(int numClasses = 1000, int inChannels = 3) => Create("convnext_base", [128, 256, 512, 1024], [3, 3, 27, 3], 0.5, numClasses, inChannels);

    /// <summary>ConvNeXt-Large: widths 192 to 1,536, depths [3, 3, 27, 3], stochastic depth 0.5; 197,767,336 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static ConvNeXt Large(int numClasses = 1000, int inChannels = 3) => Create("convnext_large", [192, 384, 768, 1536], [3, 3, 27, 3], 0.5, numClasses, inChannels);

    private static ConvNeXt Create(string architecture, long[] widths, int[] depths, double stochasticDepth, int numClasses, int inChannels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        return new ConvNeXt(architecture, widths, depths, stochasticDepth, numClasses, inChannels);
    }

    private static Sequential Features(int inChannels, long[] widths, int[] depths, double stochasticDepth)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            nn.Sequential(("0", nn.Conv2d(inChannels, widths[0], 4, stride: 4)), ("1", new LayerNorm2d(widths[0]))),
        };
        var totalBlocks = depths.Sum();
        var blockIndex = 0;
        for (var stage = 0; stage < widths.Length; stage++)
        {
            var blocks = new List<nn.Module<Tensor, Tensor>>();
            for (var i = 0; i < depths[stage]; i++)
            {
                blocks.Add(new ConvNeXtBlock(widths[stage], 1e-6, stochasticDepth * blockIndex / (totalBlocks - 1.0)));
                blockIndex++;
            }

            layers.Add(nn.Sequential(blocks));
            if (stage < widths.Length - 1)
            {
                layers.Add(nn.Sequential(("0", new LayerNorm2d(widths[stage])), ("1", nn.Conv2d(widths[stage], widths[stage + 1], 2, stride: 2))));
            }
        }

        return nn.Sequential(layers);
    }

    private static Sequential Classifier(long features, int numClasses) =>
        nn.Sequential(("0", new LayerNorm2d(features)), ("1", nn.Flatten(1)), ("2", nn.Linear(features, numClasses)));
}
