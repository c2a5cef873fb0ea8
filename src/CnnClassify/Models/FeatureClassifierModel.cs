using CnnClassify.Export;
using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// A classifier laid out as torchvision's VGG, AlexNet, MobileNetV2, DenseNet and EfficientNet
/// are: <c>features</c>, a parameter-free pooling step, flattening, and <c>classifier</c>.
/// </summary>
public abstract class FeatureClassifierModel : ClassificationModel, IOnnxExportable
{
    [ComponentName(Name = "features")]
    private readonly Sequential _features;
    [ComponentName(Name = "avgpool")]
    private readonly nn.Module<Tensor, Tensor> _pool;
    [ComponentName(Name = "classifier")]
    private nn.Module<Tensor, Tensor> _classifier;
    private readonly bool _flatten;

    /// <summary>Creates the model from its parts.</summary>
    /// <param name="name">The module name.</param>
    /// <param name="features">The convolutional backbone, registered as <c>features</c>.</param>
    /// <param name="pool">The pooling step between backbone and classifier; it must hold no parameters or buffers.</param>
    /// <param name="classifier">The classifier: a linear layer, or a sequence ending in one.</param>
    /// <param name="flatten">Whether the pooled map is flattened before the classifier; ConvNeXt's classifier takes the [N, C, 1, 1] map and flattens it itself.</param>
    protected FeatureClassifierModel(string name, Sequential features, nn.Module<Tensor, Tensor> pool, nn.Module<Tensor, Tensor> classifier, bool flatten = true)
        : base(name)
    {
        _features = features;
        _pool = pool;
        _classifier = classifier;
        _flatten = flatten;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var pooled = _pool.call(_features.call(input));
        return _classifier.call(_flatten ? pooled.flatten(1) : pooled).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override void ReplaceModule(string path, nn.Module<Tensor, Tensor> replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        var parts = path.Split('.');
        if (parts[0] != "classifier" || parts.Length > 2 || (parts.Length == 2 && _classifier is not Sequential))
        {
            throw new ArgumentException($"{GetType().Name} can replace 'classifier' or one of its children, not '{path}'.", nameof(path));
        }

        _classifier = parts.Length == 1 ? replacement : ModuleSurgery.WithChild((Sequential)_classifier, parts[1], replacement);
        ReRegister("classifier", _classifier);
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var pooled = graph.Apply(_pool, OnnxGraph.Child(path, "avgpool"), graph.Apply(_features, OnnxGraph.Child(path, "features"), input));
        var flat = _flatten ? new OnnxValue(OnnxOperators.Flatten(graph, pooled.Name, OnnxGraph.Child(path, "flatten")), pooled.Sample.flatten(1)) : pooled;
        return graph.Apply(_classifier, OnnxGraph.Child(path, "classifier"), flat).Name;
    }
}
