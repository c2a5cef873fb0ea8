using CnnClassify.Export;
using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// SqueezeNet 1.0 and 1.1 (Iandola et al., 2016) in torchvision's layout: convolutions, ceil-mode
/// max pooling and <see cref="FireModule"/>s in <c>features</c>; then <c>classifier</c>: dropout,
/// a 1x1 convolution to the classes (the head <c>classifier.1</c>, a convolution rather than a
/// linear layer), ReLU and global average pooling.
/// </summary>
public sealed class SqueezeNet : ClassificationModel, IOnnxExportable
{
    [ComponentName(Name = "features")]
    private readonly Sequential _features;
    [ComponentName(Name = "classifier")]
    private Sequential _classifier;
    private IReadOnlyList<ModelStage> _stages = [];

    private SqueezeNet(Sequential features, int numClasses, double dropout)
        : base(nameof(SqueezeNet))
    {
        _features = features;
        _classifier = nn.Sequential(nn.Dropout(dropout), FinalConvolution(numClasses), nn.ReLU(), nn.AdaptiveAvgPool2d(1));
        RegisterComponents();
        using var noGrad = torch.no_grad();
        foreach (var (_, module, _) in ModuleTree.Walk(_features))
        {
            if (module is Conv2d conv)
            {
                nn.init.kaiming_uniform_(conv.weight);
                conv.bias?.zero_();
            }
        }
    }

    /// <inheritdoc />
    public override string HeadName => "classifier.1";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages => _stages;

    /// <summary>The classes the head (a 1x1 convolution) predicts.</summary>
    public override long NumClasses => ((Conv2d)ModuleSurgery.Find(this, HeadName)).out_channels;

    /// <summary>
    /// SqueezeNet <paramref name="version"/>: 1.0, with a 7x7 stem of 96 channels (1,248,424
    /// parameters with 1,000 classes), or 1.1, with a 3x3 stem of 64 and earlier pooling, 2.4
    /// times cheaper at the same accuracy (1,235,496 parameters).
    /// </summary>
    /// <param name="version">1.0 or 1.1.</param>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <exception cref="ArgumentOutOfRangeException">The version is neither, or a count is below 1.</exception>
    public static SqueezeNet Create(double version, int numClasses = 1000, int inChannels = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        return version switch
        {
            1.0 => Version10(numClasses, inChannels),
            1.1 => Version11(numClasses, inChannels),
            _ => throw new ArgumentOutOfRangeException(nameof(version), version, "SqueezeNet comes in versions 1.0 and 1.1."),
        };
    }

    private static SqueezeNet Version10(int numClasses, int inChannels)
    {
        var features = nn.Sequential(
            nn.Conv2d(inChannels, 96, 7, stride: 2), nn.ReLU(), Pool(),
            new FireModule(96, 16, 64, 64), new FireModule(128, 16, 64, 64), new FireModule(128, 32, 128, 128), Pool(),
            new FireModule(256, 32, 128, 128), new FireModule(256, 48, 192, 192), new FireModule(384, 48, 192, 192), new FireModule(384, 64, 256, 256), Pool(),
            new FireModule(512, 64, 256, 256));
        return Finish(new SqueezeNet(features, numClasses, 0.5), "squeezenet1_0", numClasses, inChannels, [["features.0"], ["features.3", "features.4", "features.5"], ["features.7", "features.8", "features.9", "features.10"], ["features.12"]]);
    }

    private static SqueezeNet Version11(int numClasses, int inChannels)
    {
        var features = nn.Sequential(
            nn.Conv2d(inChannels, 64, 3, stride: 2), nn.ReLU(), Pool(),
            new FireModule(64, 16, 64, 64), new FireModule(128, 16, 64, 64), Pool(),
            new FireModule(128, 32, 128, 128), new FireModule(256, 32, 128, 128), Pool(),
            new FireModule(256, 48, 192, 192), new FireModule(384, 48, 192, 192), new FireModule(384, 64, 256, 256), new FireModule(512, 64, 256, 256));
        return Finish(new SqueezeNet(features, numClasses, 0.5), "squeezenet1_1", numClasses, inChannels, [["features.0"], ["features.3", "features.4"], ["features.6", "features.7"], ["features.9", "features.10", "features.11", "features.12"]]);
    }

    /// <inheritdoc />
    public override void ReplaceHead(int numClasses)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        var old = (Conv2d)ModuleSurgery.Find(this, HeadName);
        var head = FinalConvolution(numClasses);
        head.to(old.weight.device);
        ReplaceModule(HeadName, head);
        old.Dispose();
        Configuration = Configuration with { ClassNames = [] };
    }

    /// <inheritdoc />
    public override void ReplaceModule(string path, nn.Module<Tensor, Tensor> replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        if (path != HeadName || replacement is not Conv2d)
        {
            throw new ArgumentException($"SqueezeNet can replace only its head '{HeadName}' with a Conv2d, not '{path}' with {replacement.GetType().Name}.", nameof(path));
        }

        _classifier = ModuleSurgery.WithChild(_classifier, "1", replacement);
        ReRegister("classifier", _classifier);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        return _classifier.call(_features.call(input)).flatten(1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var pooled = graph.Apply(_classifier, OnnxGraph.Child(path, "classifier"), graph.Apply(_features, OnnxGraph.Child(path, "features"), input));
        return OnnxOperators.Flatten(graph, pooled.Name, OnnxGraph.Child(path, "flatten"));
    }

    private static MaxPool2d Pool() => nn.MaxPool2d(3, stride: 2, ceil_mode: true);

    private static Conv2d FinalConvolution(int numClasses)
    {
        var conv = nn.Conv2d(512, numClasses, 1);
        using var noGrad = torch.no_grad();
        nn.init.normal_(conv.weight, 0, 0.01);
        conv.bias!.zero_();
        return conv;
    }

    private static SqueezeNet Finish(SqueezeNet model, string architecture, int numClasses, int inChannels, string[][] stages)
    {
        model._stages = stages.Select((paths, i) => new ModelStage(i == 0 ? "stem" : $"fire{i}", paths)).ToList();
        model.Configuration = ModelConfiguration.ImageNet(architecture, numClasses, inChannels);
        return model;
    }
}
