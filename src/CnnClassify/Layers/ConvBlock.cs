using CnnClassify.Export;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// A 2-D convolution, an optional BatchNorm and an activation, in that order.
/// </summary>
/// <remarks>
/// Submodules are named <c>conv</c>, <c>bn</c> and <c>act</c>, so the state-dict keys are
/// <c>conv.weight</c>, <c>bn.weight</c>, <c>bn.running_mean</c> and so on, as in torchvision's
/// <c>BasicConv2d</c> of GoogLeNet.
/// </remarks>
public sealed class ConvBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    [ComponentName(Name = "conv")]
    private readonly Conv2d _conv;
    [ComponentName(Name = "bn")]
    private readonly BatchNorm2d? _bn;
    [ComponentName(Name = "act")]
    private readonly nn.Module<Tensor, Tensor>? _act;

    /// <summary>Creates a convolution block.</summary>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="outChannels">Output channels, at least 1.</param>
    /// <param name="kernelSize">Square kernel size, at least 1.</param>
    /// <param name="stride">Stride, at least 1.</param>
    /// <param name="padding">Zero padding on each side; <see langword="null"/> means <c>dilation * (kernelSize - 1) / 2</c>, which keeps the size for odd kernels at stride 1.</param>
    /// <param name="dilation">Kernel dilation, at least 1.</param>
    /// <param name="groups">Groups; both channel counts must be divisible by it. Use <paramref name="inChannels"/> for a depthwise convolution.</param>
    /// <param name="batchNorm">Whether a BatchNorm follows the convolution. With it, the convolution has no bias.</param>
    /// <param name="activation">The activation; <see langword="null"/> means <see cref="Activation.ReLU"/>.</param>
    /// <param name="batchNormEps">BatchNorm's epsilon; torchvision's GoogLeNet uses 0.001.</param>
    /// <param name="batchNormMomentum">BatchNorm's running-average momentum.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range, or a channel count is not divisible by <paramref name="groups"/>.</exception>
    public ConvBlock(
        long inChannels,
        long outChannels,
        long kernelSize,
        long stride = 1,
        long? padding = null,
        long dilation = 1,
        long groups = 1,
        bool batchNorm = true,
        Activation? activation = null,
        double batchNormEps = 1e-5,
        double batchNormMomentum = 0.1)
        : base(nameof(ConvBlock))
    {
        LayerArguments.Positive(inChannels, nameof(inChannels));
        LayerArguments.Positive(outChannels, nameof(outChannels));
        LayerArguments.Positive(kernelSize, nameof(kernelSize));
        LayerArguments.Positive(stride, nameof(stride));
        LayerArguments.Positive(dilation, nameof(dilation));
        LayerArguments.Groups(inChannels, outChannels, groups);
        var pad = padding ?? (dilation * (kernelSize - 1) / 2);
        LayerArguments.NonNegative(pad, nameof(padding));

        Activation = activation ?? Activation.ReLU;
        _conv = nn.Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: pad, dilation: dilation, groups: groups, bias: !batchNorm);
        if (batchNorm)
        {
            _bn = new BatchNorm2d(outChannels, eps: batchNormEps, momentum: batchNormMomentum);
        }

        _act = Activation.CreateModule();
        RegisterComponents();
    }

    /// <summary>
    /// Creates a convolution block with a rectangular kernel, such as Inception v3's 1x7 and 7x1
    /// factorised convolutions, with BatchNorm and ReLU.
    /// </summary>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="outChannels">Output channels, at least 1.</param>
    /// <param name="kernelHeight">Kernel height, at least 1.</param>
    /// <param name="kernelWidth">Kernel width, at least 1.</param>
    /// <param name="paddingHeight">Zero padding above and below.</param>
    /// <param name="paddingWidth">Zero padding left and right.</param>
    /// <param name="batchNormEps">BatchNorm's epsilon; Inception v3 uses 0.001.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    public ConvBlock(long inChannels, long outChannels, long kernelHeight, long kernelWidth, long paddingHeight, long paddingWidth, double batchNormEps = 1e-5)
        : base(nameof(ConvBlock))
    {
        LayerArguments.Positive(inChannels, nameof(inChannels));
        LayerArguments.Positive(outChannels, nameof(outChannels));
        LayerArguments.Positive(kernelHeight, nameof(kernelHeight));
        LayerArguments.Positive(kernelWidth, nameof(kernelWidth));
        LayerArguments.NonNegative(paddingHeight, nameof(paddingHeight));
        LayerArguments.NonNegative(paddingWidth, nameof(paddingWidth));
        Activation = Activation.ReLU;
        _conv = nn.Conv2d(inChannels, outChannels, (kernelHeight, kernelWidth), padding: (paddingHeight, paddingWidth), bias: false);
        _bn = new BatchNorm2d(outChannels, eps: batchNormEps);
        _act = Activation.CreateModule();
        RegisterComponents();
    }

    /// <summary>The activation applied last.</summary>
    public Activation Activation { get; }

    /// <summary>The convolution.</summary>
    public Conv2d Conv => _conv;

    /// <summary>The BatchNorm, or <see langword="null"/> when the block has none.</summary>
    public BatchNorm2d? BatchNorm => _bn;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var x = _conv.call(input);
        if (_bn is not null)
        {
            using var convolved = x;
            x = _bn.call(convolved);
        }

        if (_act is not null)
        {
            using var normalized = x;
            x = _act.call(normalized);
        }

        return x;
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var x = graph.Apply(_conv, OnnxGraph.Child(path, "conv"), input);
        if (_bn is not null)
        {
            x = graph.Apply(_bn, OnnxGraph.Child(path, "bn"), x);
        }

        return _act is null ? x.Name : graph.Apply(_act, OnnxGraph.Child(path, "act"), x).Name;
    }
}
