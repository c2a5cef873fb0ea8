using CnnClassify.Export;
using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// GoogLeNet (Szegedy et al., 2015) in torchvision's layout: a convolutional stem, nine
/// <see cref="InceptionBlock"/>s between max pools, global average pooling, dropout 0.2 and the
/// head <c>fc</c>, with optional auxiliary heads <c>aux1</c> and <c>aux2</c> for training.
/// </summary>
/// <remarks>
/// <see cref="nn.Module{T, TResult}.forward"/> returns the main logits. With auxiliary heads,
/// <see cref="ForwardWithAuxiliary"/> also returns theirs; the paper weights each auxiliary loss by 0.3.
/// </remarks>
public sealed class GoogLeNet : ClassificationModel, IOnnxExportable
{
    [ComponentName(Name = "conv1")]
    private readonly ConvBlock _conv1;
    [ComponentName(Name = "maxpool1")]
    private readonly MaxPool2d _maxpool1;
    [ComponentName(Name = "conv2")]
    private readonly ConvBlock _conv2;
    [ComponentName(Name = "conv3")]
    private readonly ConvBlock _conv3;
    [ComponentName(Name = "maxpool2")]
    private readonly MaxPool2d _maxpool2;
    [ComponentName(Name = "inception3a")]
    private readonly InceptionBlock _inception3a;
    [ComponentName(Name = "inception3b")]
    private readonly InceptionBlock _inception3b;
    [ComponentName(Name = "maxpool3")]
    private readonly MaxPool2d _maxpool3;
    [ComponentName(Name = "inception4a")]
    private readonly InceptionBlock _inception4a;
    [ComponentName(Name = "inception4b")]
    private readonly InceptionBlock _inception4b;
    [ComponentName(Name = "inception4c")]
    private readonly InceptionBlock _inception4c;
    [ComponentName(Name = "inception4d")]
    private readonly InceptionBlock _inception4d;
    [ComponentName(Name = "inception4e")]
    private readonly InceptionBlock _inception4e;
    [ComponentName(Name = "maxpool4")]
    private readonly MaxPool2d _maxpool4;
    [ComponentName(Name = "inception5a")]
    private readonly InceptionBlock _inception5a;
    [ComponentName(Name = "inception5b")]
    private readonly InceptionBlock _inception5b;
    [ComponentName(Name = "aux1")]
    private readonly GoogLeNetAuxiliaryHead? _aux1;
    [ComponentName(Name = "aux2")]
    private readonly GoogLeNetAuxiliaryHead? _aux2;
    [ComponentName(Name = "avgpool")]
    private readonly AdaptiveAvgPool2d _avgpool;
    [ComponentName(Name = "dropout")]
    private readonly Dropout _dropout;
    [ComponentName(Name = "fc")]
    private Linear _fc;

    /// <summary>Creates GoogLeNet; 6,624,904 parameters with 1,000 classes, 13,004,888 with auxiliary heads.</summary>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="auxiliaryHeads">Whether to add the two auxiliary classifiers (torchvision's <c>aux_logits</c>).</param>
    /// <param name="dropout">Dropout probability before the head.</param>
    /// <param name="transformInput">
    /// Whether the forward pass first turns ImageNet-normalised RGB input into the [-1, 1] scaling
    /// that torchvision's published GoogLeNet weights were trained with (torchvision's <c>transform_input</c>).
    /// </param>
    public GoogLeNet(int numClasses = 1000, int inChannels = 3, bool auxiliaryHeads = false, double dropout = 0.2, bool transformInput = false)
        : base(nameof(GoogLeNet))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        _conv1 = new ConvBlock(inChannels, 64, 7, stride: 2, batchNormEps: 1e-3);
        _maxpool1 = nn.MaxPool2d(3, stride: 2, ceil_mode: true);
        _conv2 = new ConvBlock(64, 64, 1, batchNormEps: 1e-3);
        _conv3 = new ConvBlock(64, 192, 3, batchNormEps: 1e-3);
        _maxpool2 = nn.MaxPool2d(3, stride: 2, ceil_mode: true);
        _inception3a = new InceptionBlock(192, new(64, 96, 128, 16, 32, 32));
        _inception3b = new InceptionBlock(256, new(128, 128, 192, 32, 96, 64));
        _maxpool3 = nn.MaxPool2d(3, stride: 2, ceil_mode: true);
        _inception4a = new InceptionBlock(480, new(192, 96, 208, 16, 48, 64));
        _inception4b = new InceptionBlock(512, new(160, 112, 224, 24, 64, 64));
        _inception4c = new InceptionBlock(512, new(128, 128, 256, 24, 64, 64));
        _inception4d = new InceptionBlock(512, new(112, 144, 288, 32, 64, 64));
        _inception4e = new InceptionBlock(528, new(256, 160, 320, 32, 128, 128));
        _maxpool4 = nn.MaxPool2d(2, stride: 2, ceil_mode: true);
        _inception5a = new InceptionBlock(832, new(256, 160, 320, 32, 128, 128));
        _inception5b = new InceptionBlock(832, new(384, 192, 384, 48, 128, 128));
        if (auxiliaryHeads)
        {
            _aux1 = new GoogLeNetAuxiliaryHead(512, numClasses);
            _aux2 = new GoogLeNetAuxiliaryHead(528, numClasses);
        }

        _avgpool = nn.AdaptiveAvgPool2d(1);
        _dropout = nn.Dropout(dropout);
        _fc = nn.Linear(1024, numClasses);
        RegisterComponents();

        var init = new WeightInitialization
        {
            Conv = TensorInitializer.TruncatedNormal(0, 0.01),
            Linear = TensorInitializer.TruncatedNormal(0, 0.01),
            NormWeight = 1,
            NormBias = 0,
        };
        init.Apply(this);

        var stage4 = new List<string> { "inception4a", "inception4b", "inception4c", "inception4d", "inception4e" };
        if (auxiliaryHeads)
        {
            stage4.AddRange(["aux1", "aux2"]);
        }

        Stages =
        [
            new("stem", ["conv1", "conv2", "conv3"]),
            new("inception3", ["inception3a", "inception3b"]),
            new("inception4", stage4),
            new("inception5", ["inception5a", "inception5b"]),
        ];
        if (transformInput && inChannels != 3)
        {
            throw new ArgumentException("transformInput converts ImageNet-normalised RGB input, so it needs 3 input channels.", nameof(transformInput));
        }

        TransformInput = transformInput;
        Configuration = ModelConfiguration.ImageNet("googlenet", numClasses, inChannels) with { AuxiliaryHeads = auxiliaryHeads, TransformInput = transformInput };
    }

    /// <inheritdoc />
    public override string HeadName => "fc";

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; }

    /// <summary>Whether the input is rescaled from ImageNet normalisation to [-1, 1] first, as for torchvision's published weights.</summary>
    public bool TransformInput { get; }

    /// <summary>Whether the model has the two auxiliary heads.</summary>
    public bool HasAuxiliaryHeads => _aux1 is not null;

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => Run(input, withAuxiliary: false).Logits;

    /// <summary>Computes the main logits and, when the model has them, the auxiliary heads' logits.</summary>
    /// <param name="input">A batch of images.</param>
    /// <returns>The main logits, and the logits of <c>aux1</c> and <c>aux2</c> (or <see langword="null"/> without auxiliary heads).</returns>
    public (Tensor Logits, Tensor? Auxiliary1, Tensor? Auxiliary2) ForwardWithAuxiliary(Tensor input) => Run(input, withAuxiliary: true);

    /// <summary>The paper's (and torchvision's training script's) weight of each auxiliary head's loss.</summary>
    public const double AuxiliaryLossWeight = 0.3;

    /// <summary>
    /// The main logits with weight 1 and, with auxiliary heads, theirs with
    /// <see cref="AuxiliaryLossWeight"/> each, so that training minimises
    /// <c>loss(main) + 0.3 * (loss(aux1) + loss(aux2))</c>. With auxiliary heads the pass runs
    /// through <see cref="ForwardWithAuxiliary"/>, so hooks registered on this module itself (not
    /// on its submodules) do not see it.
    /// </summary>
    /// <param name="inputs">The batch's inputs, in training mode.</param>
    public override IReadOnlyList<WeightedOutput> TrainingOutputs(Tensor inputs)
    {
        if (!HasAuxiliaryHeads)
        {
            return base.TrainingOutputs(inputs);
        }

        var (logits, aux1, aux2) = ForwardWithAuxiliary(inputs);
        return [new(logits, 1.0), new(aux1!, AuxiliaryLossWeight), new(aux2!, AuxiliaryLossWeight)];
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> HeadNames => HasAuxiliaryHeads ? [HeadName, "aux1.fc2", "aux2.fc2"] : [HeadName];

    /// <inheritdoc />
    public override void ReplaceHead(int numClasses)
    {
        base.ReplaceHead(numClasses);
        _aux1?.ReplaceHead(numClasses);
        _aux2?.ReplaceHead(numClasses);
    }

    /// <inheritdoc />
    public override void ReplaceModule(string path, nn.Module<Tensor, Tensor> replacement)
    {
        _fc = AsHeadReplacement(path, replacement);
        ReRegister("fc", _fc);
    }

    private (Tensor Logits, Tensor? Auxiliary1, Tensor? Auxiliary2) Run(Tensor input, bool withAuxiliary)
    {
        using var scope = torch.NewDisposeScope();
        if (TransformInput)
        {
            input = InputTransform.ToUnitRange(input);
        }

        var x = _maxpool1.call(_conv1.call(input));
        x = _maxpool2.call(_conv3.call(_conv2.call(x)));
        x = _maxpool3.call(_inception3b.call(_inception3a.call(x)));
        x = _inception4a.call(x);
        var aux1 = withAuxiliary ? _aux1?.call(x) : null;
        x = _inception4d.call(_inception4c.call(_inception4b.call(x)));
        var aux2 = withAuxiliary ? _aux2?.call(x) : null;
        x = _maxpool4.call(_inception4e.call(x));
        x = _inception5b.call(_inception5a.call(x));
        x = _dropout.call(_avgpool.call(x).flatten(1));
        var logits = _fc.call(x).MoveToOuterDisposeScope();
        return (logits, aux1?.MoveToOuterDisposeScope(), aux2?.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        // Evaluation mode: the auxiliary heads and dropout do not take part.
        var x = TransformInput ? InputTransform.Export(graph, path, input) : input;
        (nn.Module<Tensor, Tensor> Module, string Name)[] chain =
        [
            (_conv1, "conv1"), (_maxpool1, "maxpool1"), (_conv2, "conv2"), (_conv3, "conv3"), (_maxpool2, "maxpool2"),
            (_inception3a, "inception3a"), (_inception3b, "inception3b"), (_maxpool3, "maxpool3"),
            (_inception4a, "inception4a"), (_inception4b, "inception4b"), (_inception4c, "inception4c"), (_inception4d, "inception4d"), (_inception4e, "inception4e"),
            (_maxpool4, "maxpool4"), (_inception5a, "inception5a"), (_inception5b, "inception5b"), (_avgpool, "avgpool"),
        ];
        foreach (var (module, name) in chain)
        {
            x = graph.Apply(module, OnnxGraph.Child(path, name), x);
        }

        var flat = new OnnxValue(OnnxOperators.Flatten(graph, x.Name, OnnxGraph.Child(path, "flatten")), x.Sample.flatten(1));
        return graph.Apply(_fc, OnnxGraph.Child(path, "fc"), flat).Name;
    }
}
