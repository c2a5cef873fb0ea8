using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using BatchNorm2d = CnnClassify.Layers.BatchNorm2d;

namespace CnnClassify.Models;

/// <summary>
/// DenseNet-BC (Huang et al., 2017) in torchvision's layout: a 7x7 stem (<c>conv0</c>,
/// <c>norm0</c>, <c>relu0</c>, <c>pool0</c>), dense blocks joined by transitions that halve the
/// channels and the size, a final <c>norm5</c>, then ReLU, global average pooling and the head
/// <c>classifier</c>.
/// </summary>
public sealed class DenseNet : FeatureClassifierModel
{
    private DenseNet(Sequential features, long featureChannels, int numClasses, IReadOnlyList<ModelStage> stages)
        : base(nameof(DenseNet), features, nn.Sequential(nn.ReLU(), nn.AdaptiveAvgPool2d(1)), nn.Linear(featureChannels, numClasses))
    {
        Stages = stages;
        var init = WeightInitialization.PyTorchDefault with
        {
            Conv = TensorInitializer.KaimingNormal(nn.init.FanInOut.FanIn),
            NormWeight = 1,
            NormBias = 0,
        };
        init.Apply(this);
        using (torch.no_grad())
        {
            Head.bias!.zero_();
        }
    }

    /// <inheritdoc />
    public override string HeadName => "classifier";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; }

    /// <summary>DenseNet-121: blocks of 6, 12, 24 and 16 layers, growth 32; 7,978,856 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static DenseNet DenseNet121(int numClasses = 1000, int inChannels = 3) => WithArchitecture(Create([6, 12, 24, 16], 32, 64, numClasses, inChannels), "densenet121");

    /// <summary>DenseNet-169: blocks of 6, 12, 32 and 32 layers, growth 32; 14,149,480 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static DenseNet DenseNet169(int numClasses = 1000, int inChannels = 3) => WithArchitecture(Create([6, 12, 32, 32], 32, 64, numClasses, inChannels), "densenet169");

    /// <summary>DenseNet-161: blocks of 6, 12, 36 and 24 layers, growth 48, a 96-channel stem; 28,681,000 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static DenseNet DenseNet161(int numClasses = 1000, int inChannels = 3) => WithArchitecture(Create([6, 12, 36, 24], 48, 96, numClasses, inChannels), "densenet161");

    /// <summary>DenseNet-201: blocks of 6, 12, 48 and 32 layers, growth 32; 20,013,928 parameters with 1,000 classes.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static DenseNet DenseNet201(int numClasses = 1000, int inChannels = 3) => WithArchitecture(Create([6, 12, 48, 32], 32, 64, numClasses, inChannels), "densenet201");

    /// <summary>Creates a DenseNet-BC with the given block sizes.</summary>
    /// <param name="blockLayers">Dense layers in each block.</param>
    /// <param name="growthRate">Channels each dense layer adds.</param>
    /// <param name="stemChannels">Channels of the stem convolution.</param>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <exception cref="ArgumentException">A size is below 1.</exception>
    public static DenseNet Create(IReadOnlyList<int> blockLayers, int growthRate, int stemChannels, int numClasses = 1000, int inChannels = 3)
    {
        ArgumentNullException.ThrowIfNull(blockLayers);
        if (blockLayers.Count == 0 || blockLayers.Any(count => count < 1))
        {
            throw new ArgumentException("DenseNet needs at least one block of at least one layer.", nameof(blockLayers));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("conv0", nn.Conv2d(inChannels, stemChannels, 7, stride: 2, padding: 3, bias: false)),
            ("norm0", new BatchNorm2d(stemChannels)),
            ("relu0", nn.ReLU()),
            ("pool0", nn.MaxPool2d(3, stride: 2, padding: 1)),
        };
        var stages = new List<ModelStage> { new("stem", ["features.conv0", "features.norm0"]) };
        long channels = stemChannels;
        for (var i = 0; i < blockLayers.Count; i++)
        {
            var block = new DenseBlock(blockLayers[i], channels, growthRate);
            layers.Add(($"denseblock{i + 1}", block));
            channels = block.OutChannels;
            if (i < blockLayers.Count - 1)
            {
                layers.Add(($"transition{i + 1}", nn.Sequential(
                    ("norm", new BatchNorm2d(channels)),
                    ("relu", nn.ReLU()),
                    ("conv", nn.Conv2d(channels, channels / 2, 1, bias: false)),
                    ("pool", nn.AvgPool2d(2, stride: 2)))));
                stages.Add(new($"block{i + 1}", [$"features.denseblock{i + 1}", $"features.transition{i + 1}"]));
                channels /= 2;
            }
            else
            {
                stages.Add(new($"block{i + 1}", [$"features.denseblock{i + 1}", "features.norm5"]));
            }
        }

        layers.Add(("norm5", new BatchNorm2d(channels)));
        return new DenseNet(nn.Sequential(layers), channels, numClasses, stages)
        {
            Configuration = ModelConfiguration.ImageNet(null, numClasses, inChannels),
        };
    }
}
