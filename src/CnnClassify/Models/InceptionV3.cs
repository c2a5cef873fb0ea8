using CnnClassify.Export;
using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// Inception v3 (Szegedy et al., 2016) in torchvision's layout: five stem convolutions
/// (<c>Conv2d_1a_3x3</c> to <c>Conv2d_4a_3x3</c>) with two max pools, the mixed blocks
/// <c>Mixed_5b</c> to <c>Mixed_7c</c> (<see cref="InceptionV3Block"/>), global average pooling,
/// dropout and the head <c>fc</c>; with <see cref="ModelOptions.AuxiliaryHeads"/>, the auxiliary
/// classifier <c>AuxLogits</c> on <c>Mixed_6e</c>, which adds 0.4 of its loss in training. Its
/// default input is 299x299; the smallest is 75x75.
/// </summary>
public sealed class InceptionV3 : ClassificationModel, IOnnxExportable
{
    /// <summary>The auxiliary head's share of the training loss, as in torchvision's recipe.</summary>
    public const double AuxiliaryLossWeight = 0.4;

    private readonly (string Name, nn.Module<Tensor, Tensor> Module)[] _beforeAuxiliary;
    private readonly (string Name, nn.Module<Tensor, Tensor> Module)[] _afterAuxiliary;
    private readonly InceptionV3AuxiliaryHead? _aux;
    private readonly AdaptiveAvgPool2d _avgpool;
    private readonly Dropout _dropout;
    private Linear _fc;

    /// <summary>Creates Inception v3; 27,161,264 parameters with 1,000 classes and the auxiliary head, 23,834,568 without.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="auxiliaryHead">Whether to add the auxiliary classifier <c>AuxLogits</c>.</param>
    /// <param name="transformInput">Whether the model converts ImageNet-normalised input to [-1, 1] first, as torchvision's published weights expect.</param>
    /// <param name="dropout">Dropout probability before the head.</param>
    /// <exception cref="ArgumentException">A count is out of range, or <paramref name="transformInput"/> is asked for with other than 3 channels.</exception>
    public InceptionV3(int numClasses = 1000, int inChannels = 3, bool auxiliaryHead = false, bool transformInput = false, double dropout = 0.5)
        : base(nameof(InceptionV3))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        if (transformInput && inChannels != 3)
        {
            throw new ArgumentException("transformInput converts ImageNet-normalised RGB input, so it needs 3 input channels.", nameof(transformInput));
        }

        _beforeAuxiliary =
        [
            ("Conv2d_1a_3x3", new ConvBlock(inChannels, 32, 3, stride: 2, padding: 0, batchNormEps: 1e-3)),
            ("Conv2d_2a_3x3", new ConvBlock(32, 32, 3, padding: 0, batchNormEps: 1e-3)),
            ("Conv2d_2b_3x3", new ConvBlock(32, 64, 3, padding: 1, batchNormEps: 1e-3)),
            ("maxpool1", nn.MaxPool2d(3, stride: 2)),
            ("Conv2d_3b_1x1", new ConvBlock(64, 80, 1, batchNormEps: 1e-3)),
            ("Conv2d_4a_3x3", new ConvBlock(80, 192, 3, padding: 0, batchNormEps: 1e-3)),
            ("maxpool2", nn.MaxPool2d(3, stride: 2)),
            ("Mixed_5b", InceptionV3Block.A(192, 32)),
            ("Mixed_5c", InceptionV3Block.A(256, 64)),
            ("Mixed_5d", InceptionV3Block.A(288, 64)),
            ("Mixed_6a", InceptionV3Block.B(288)),
            ("Mixed_6b", InceptionV3Block.C(768, 128)),
            ("Mixed_6c", InceptionV3Block.C(768, 160)),
            ("Mixed_6d", InceptionV3Block.C(768, 160)),
            ("Mixed_6e", InceptionV3Block.C(768, 192)),
        ];
        _afterAuxiliary = [("Mixed_7a", InceptionV3Block.D(768)), ("Mixed_7b", InceptionV3Block.E(1280)), ("Mixed_7c", InceptionV3Block.E(2048))];
        if (auxiliaryHead)
        {
            _aux = new InceptionV3AuxiliaryHead(768, numClasses);
        }

        _avgpool = nn.AdaptiveAvgPool2d(1);
        _dropout = nn.Dropout(dropout);
        _fc = nn.Linear(2048, numClasses);

        // Registered one by one, in torchvision's order, since the mixed blocks are not fields.
        foreach (var (name, module) in _beforeAuxiliary)
        {
            register_module(name, module);
        }

        if (_aux is not null)
        {
            register_module("AuxLogits", _aux);
        }

        foreach (var (name, module) in _afterAuxiliary)
        {
            register_module(name, module);
        }

        register_module("avgpool", _avgpool);
        register_module("dropout", _dropout);
        register_module("fc", _fc);

        var init = new WeightInitialization
        {
            Conv = TensorInitializer.TruncatedNormal(0, 0.1),
            Linear = TensorInitializer.TruncatedNormal(0, 0.1),
            NormWeight = 1,
            NormBias = 0,
        };
        init.Apply(this);
        if (_aux is not null)
        {
            using var noGrad = torch.no_grad();
            TensorInitializer.TruncatedNormal(0, 0.001).Fill(((Linear)ModuleSurgery.Find(this, "AuxLogits.fc")).weight);
        }

        TransformInput = transformInput;
        Stages =
        [
            new("stem", ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "Conv2d_3b_1x1", "Conv2d_4a_3x3"]),
            new("mixed5", ["Mixed_5b", "Mixed_5c", "Mixed_5d"]),
            new("mixed6", auxiliaryHead ? ["Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e", "AuxLogits"] : ["Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"]),
            new("mixed7", ["Mixed_7a", "Mixed_7b", "Mixed_7c"]),
        ];
        Configuration = ModelConfiguration.ImageNet("inception_v3", numClasses, inChannels) with
        {
            InputHeight = 299,
            InputWidth = 299,
            Preprocessing = ModelConfiguration.ImageNet("inception_v3", numClasses, inChannels).Preprocessing with { ResizeSize = 342 },
            AuxiliaryHeads = auxiliaryHead,
            TransformInput = transformInput,
        };
    }

    /// <inheritdoc />
    public override string HeadName => "fc";

    /// <inheritdoc />
    public override IReadOnlyList<string> HeadNames => _aux is null ? [HeadName] : [HeadName, "AuxLogits.fc"];

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; }

    /// <summary>Whether the input is converted from ImageNet normalisation to [-1, 1] first.</summary>
    public bool TransformInput { get; }

    /// <summary>Whether the model has the auxiliary classifier.</summary>
    public bool HasAuxiliaryHead => _aux is not null;

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => Run(input, withAuxiliary: false).Logits;

    /// <summary>The logits and, in training mode with the auxiliary head, the auxiliary logits.</summary>
    /// <param name="input">A batch [N, C, H, W].</param>
    public (Tensor Logits, Tensor? Auxiliary) ForwardWithAuxiliary(Tensor input) => Run(input, withAuxiliary: true);

    /// <inheritdoc />
    public override IReadOnlyList<WeightedOutput> TrainingOutputs(Tensor inputs)
    {
        if (!HasAuxiliaryHead)
        {
            return base.TrainingOutputs(inputs);
        }

        var (logits, aux) = ForwardWithAuxiliary(inputs);
        return [new(logits, 1.0), new(aux!, AuxiliaryLossWeight)];
    }

    /// <inheritdoc />
    public override void ReplaceHead(int numClasses)
    {
        base.ReplaceHead(numClasses);
        _aux?.ReplaceHead(numClasses);
    }

    /// <inheritdoc />
    public override void ReplaceModule(string path, nn.Module<Tensor, Tensor> replacement)
    {
        _fc = AsHeadReplacement(path, replacement);
        ReRegister("fc", _fc);
    }

    private (Tensor Logits, Tensor? Auxiliary) Run(Tensor input, bool withAuxiliary)
    {
        using var scope = torch.NewDisposeScope();
        var x = TransformInput ? InputTransform.ToUnitRange(input) : input;
        x = _beforeAuxiliary.Aggregate(x, (current, step) => step.Module.call(current));
        var aux = withAuxiliary && training ? _aux?.call(x) : null;
        x = _afterAuxiliary.Aggregate(x, (current, step) => step.Module.call(current));
        var logits = _fc.call(_dropout.call(_avgpool.call(x)).flatten(1)).MoveToOuterDisposeScope();
        return (logits, aux?.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var x = TransformInput ? InputTransform.Export(graph, path, input) : input;
        foreach (var (name, module) in _beforeAuxiliary.Concat(_afterAuxiliary))
        {
            x = graph.Apply(module, OnnxGraph.Child(path, name), x);
        }

        var pooled = graph.Apply(_avgpool, OnnxGraph.Child(path, "avgpool"), x);
        var flat = new OnnxValue(OnnxOperators.Flatten(graph, pooled.Name, OnnxGraph.Child(path, "flatten")), pooled.Sample.flatten(1));
        return graph.Apply(_fc, OnnxGraph.Child(path, "fc"), flat).Name;
    }
}
