using System.Text.Json.Serialization;
using CnnClassify.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>A <see cref="Layers.LayerNorm2d"/> over each pixel's channels, as ConvNeXt uses it (<see cref="CnnBuilder.LayerNorm2d"/>).</summary>
/// <param name="Eps">Added to the variance.</param>
public sealed record LayerNorm2dLayer([property: JsonPropertyName("eps")] double Eps = 1e-6) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => "LayerNorm2d";

    internal override string NamePrefix => "ln";

    internal override void Validate()
    {
        if (!(Eps > 0) || !double.IsFinite(Eps))
        {
            throw new ArgumentOutOfRangeException("eps", Eps, "eps must be a positive finite number.");
        }
    }

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "LayerNorm2d normalises the channels of image pixels");
        return input;
    }

    internal override double ParameterCount(SampleShape input) => 2.0 * input.Channels;

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => new Layers.LayerNorm2d(input.Channels, Eps);
}

/// <summary>A <see cref="ConvNeXtBlock"/> at the input's width; the shape is kept (<see cref="CnnBuilder.ConvNeXt"/>).</summary>
/// <param name="LayerScale">The layer scale's starting value.</param>
/// <param name="StochasticDepth">Probability of dropping the branch per sample while training.</param>
public sealed record ConvNeXtLayer(
    [property: JsonPropertyName("layer_scale")] double LayerScale = 1e-6,
    [property: JsonPropertyName("stochastic_depth")] double StochasticDepth = 0) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => $"ConvNeXtBlock({input.Channels})";

    internal override string NamePrefix => "convnext";

    internal override void Validate()
    {
        LayerArguments.Probability(StochasticDepth, "stochasticDepth");
        if (!double.IsFinite(LayerScale))
        {
            throw new ArgumentOutOfRangeException("layerScale", LayerScale, "The layer scale must be a finite number.");
        }
    }

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "ConvNeXt blocks must come before Flatten");
        return input;
    }

    // Depthwise 7x7 with bias, LayerNorm, the 4x MLP with biases, and the layer scale.
    internal override double ParameterCount(SampleShape input) => (8.0 * input.Channels * input.Channels) + (58.0 * input.Channels);

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => new ConvNeXtBlock(input.Channels, LayerScale, StochasticDepth);
}

/// <summary>A <see cref="Layers.SqueezeExcitation"/> at the input's width; the shape is kept (<see cref="CnnBuilder.SqueezeExcitation"/>).</summary>
/// <param name="SqueezeChannels">Channels of the bottleneck.</param>
/// <param name="Activation">The bottleneck's activation, a built-in name such as <c>ReLU</c>.</param>
/// <param name="Gate">The gate's activation: <c>Sigmoid</c> or <c>Hardsigmoid</c>.</param>
public sealed record SqueezeExcitationLayer(
    [property: JsonPropertyName("squeeze_channels")] long SqueezeChannels,
    [property: JsonPropertyName("activation")] string Activation = "ReLU",
    [property: JsonPropertyName("gate")] string Gate = "Sigmoid") : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => $"SqueezeExcitation({input.Channels}, {SqueezeChannels}, {Activation}, {Gate})";

    internal override string NamePrefix => "se";

    internal override void Validate()
    {
        LayerArguments.Positive(SqueezeChannels, "squeezeChannels");
        _ = ActivationLayer.Named(Activation);
        _ = ActivationLayer.Named(Gate);
    }

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "squeeze-and-excitation scales image channels");
        return input;
    }

    internal override double ParameterCount(SampleShape input) => (2.0 * input.Channels * SqueezeChannels) + input.Channels + SqueezeChannels;

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) =>
        new Layers.SqueezeExcitation(input.Channels, SqueezeChannels, ActivationLayer.Named(Activation), ActivationLayer.Named(Gate));
}

/// <summary>A <see cref="Layers.ChannelShuffle"/>; the shape is kept (<see cref="CnnBuilder.ChannelShuffle"/>).</summary>
/// <param name="Groups">Groups to interleave.</param>
public sealed record ChannelShuffleLayer([property: JsonPropertyName("groups")] long Groups) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => $"ChannelShuffle({Groups})";

    internal override string NamePrefix => "shuffle";

    internal override void Validate() => LayerArguments.Positive(Groups, "groups");

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "channel shuffles work on image channels");
        ShapeRules.RequireDivisibleChannels(input, Groups);
        return input;
    }

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => new Layers.ChannelShuffle(Groups);
}

/// <summary>SqueezeNet's <see cref="FireModule"/>; the height and width are kept (<see cref="CnnBuilder.Fire"/>).</summary>
/// <param name="SqueezeChannels">Channels of the squeeze convolution.</param>
/// <param name="Expand1x1Channels">Channels of the 1x1 expand convolution.</param>
/// <param name="Expand3x3Channels">Channels of the 3x3 expand convolution.</param>
public sealed record FireLayer(
    [property: JsonPropertyName("squeeze_channels")] long SqueezeChannels,
    [property: JsonPropertyName("expand1x1_channels")] long Expand1x1Channels,
    [property: JsonPropertyName("expand3x3_channels")] long Expand3x3Channels) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => Call(nameof(FireModule), [SqueezeChannels, Expand1x1Channels, Expand3x3Channels]);

    internal override string NamePrefix => "fire";

    internal override void Validate()
    {
        LayerArguments.Positive(SqueezeChannels, "squeezeChannels");
        LayerArguments.Positive(Expand1x1Channels, "expand1x1Channels");
        LayerArguments.Positive(Expand3x3Channels, "expand3x3Channels");
    }

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "Fire modules must come before Flatten");
        return SampleShape.Image(Expand1x1Channels + Expand3x3Channels, input.Dimensions[1], input.Dimensions[2]);
    }

    internal override double ParameterCount(SampleShape input) =>
        ((input.Channels + 1.0) * SqueezeChannels) + ((SqueezeChannels + 1.0) * Expand1x1Channels) + (((9.0 * SqueezeChannels) + 1) * Expand3x3Channels);

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => new FireModule(input.Channels, SqueezeChannels, Expand1x1Channels, Expand3x3Channels);
}

/// <summary>MobileNetV3's <see cref="MobileNetV3Block"/> (<see cref="CnnBuilder.MobileNetV3Block"/>).</summary>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Kernel">Depthwise kernel.</param>
/// <param name="ExpandedChannels">Hidden channels.</param>
/// <param name="SqueezeExcitation">Whether the block has squeeze-and-excitation.</param>
/// <param name="HardSwish">Hard swish as the activation; otherwise ReLU.</param>
/// <param name="Stride">Depthwise stride: 1 or 2.</param>
public sealed record MobileNetV3Layer(
    [property: JsonPropertyName("out_channels")] long OutChannels,
    [property: JsonPropertyName("kernel")] long Kernel,
    [property: JsonPropertyName("expanded_channels")] long ExpandedChannels,
    [property: JsonPropertyName("squeeze_excitation")] bool SqueezeExcitation = true,
    [property: JsonPropertyName("hard_swish")] bool HardSwish = true,
    [property: JsonPropertyName("stride")] long Stride = 1) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) =>
        $"{nameof(MobileNetV3Block)}({OutChannels}, {Kernel}, expanded={ExpandedChannels}{(SqueezeExcitation ? ", SE" : "")}, {(HardSwish ? "Hardswish" : "ReLU")}{(Stride != 1 ? $", stride={Stride}" : "")})";

    internal override string NamePrefix => "mbv3";

    internal override void Validate()
    {
        LayerArguments.Positive(OutChannels, "outChannels");
        LayerArguments.Positive(Kernel, "kernel");
        LayerArguments.Positive(ExpandedChannels, "expandedChannels");
        if (Stride is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException("stride", Stride, "The stride must be 1 or 2.");
        }
    }

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "MobileNetV3 blocks must come before Flatten");
        return ShapeRules.SlidingWindow(input, OutChannels, Kernel, Stride, (Kernel - 1) / 2);
    }

    internal override double ParameterCount(SampleShape input) =>
        ((double)input.Channels * ExpandedChannels) + ((double)Kernel * Kernel * ExpandedChannels) + ((double)ExpandedChannels * OutChannels)
        + (SqueezeExcitation ? (ExpandedChannels * ExpandedChannels / 2.0) + (2.0 * ExpandedChannels) : 0) + (8.0 * ExpandedChannels) + (4.0 * OutChannels);

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) =>
        new MobileNetV3Block(input.Channels, Kernel, ExpandedChannels, OutChannels, SqueezeExcitation, HardSwish, Stride);
}

/// <summary>EfficientNet's <see cref="MBConvBlock"/> (<see cref="CnnBuilder.MBConv"/>).</summary>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Kernel">Depthwise kernel.</param>
/// <param name="Stride">Depthwise stride: 1 or 2.</param>
/// <param name="ExpandRatio">Hidden channels per input channel.</param>
/// <param name="StochasticDepth">Probability of dropping the branch per sample while training.</param>
public sealed record MBConvLayer(
    [property: JsonPropertyName("out_channels")] long OutChannels,
    [property: JsonPropertyName("kernel")] long Kernel = 3,
    [property: JsonPropertyName("stride")] long Stride = 1,
    [property: JsonPropertyName("expand_ratio")] long ExpandRatio = 6,
    [property: JsonPropertyName("stochastic_depth")] double StochasticDepth = 0) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => Call(nameof(MBConvBlock), [OutChannels, Kernel], ("stride", Stride, 1), ("expand", ExpandRatio, 6));

    internal override string NamePrefix => "mbconv";

    internal override void Validate() => MobileBlockArguments(OutChannels, Kernel, Stride, ExpandRatio, StochasticDepth);

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "MBConv blocks must come before Flatten");
        return ShapeRules.SlidingWindow(input, OutChannels, Kernel, Stride, (Kernel - 1) / 2);
    }

    internal override double ParameterCount(SampleShape input)
    {
        var hidden = (double)input.Channels * ExpandRatio + 8;
        return (input.Channels * hidden) + (Kernel * Kernel * hidden) + (hidden * input.Channels / 2) + (hidden * OutChannels) + (10 * hidden) + (4.0 * OutChannels);
    }

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => new MBConvBlock(input.Channels, OutChannels, Kernel, Stride, ExpandRatio, StochasticDepth);

    internal static void MobileBlockArguments(long outChannels, long kernel, long stride, long expandRatio, double stochasticDepth)
    {
        LayerArguments.Positive(outChannels, nameof(outChannels));
        LayerArguments.Positive(kernel, nameof(kernel));
        LayerArguments.Positive(expandRatio, nameof(expandRatio));
        LayerArguments.Probability(stochasticDepth, nameof(stochasticDepth));
        if (stride is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, "The stride must be 1 or 2.");
        }
    }
}

/// <summary>EfficientNetV2's <see cref="FusedMBConvBlock"/> (<see cref="CnnBuilder.FusedMBConv"/>).</summary>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Kernel">Kernel of the fused convolution.</param>
/// <param name="Stride">Stride: 1 or 2.</param>
/// <param name="ExpandRatio">Hidden channels per input channel.</param>
/// <param name="StochasticDepth">Probability of dropping the branch per sample while training.</param>
public sealed record FusedMBConvLayer(
    [property: JsonPropertyName("out_channels")] long OutChannels,
    [property: JsonPropertyName("kernel")] long Kernel = 3,
    [property: JsonPropertyName("stride")] long Stride = 1,
    [property: JsonPropertyName("expand_ratio")] long ExpandRatio = 4,
    [property: JsonPropertyName("stochastic_depth")] double StochasticDepth = 0) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => Call(nameof(FusedMBConvBlock), [OutChannels, Kernel], ("stride", Stride, 1), ("expand", ExpandRatio, 4));

    internal override string NamePrefix => "fusedmbconv";

    internal override void Validate() => MBConvLayer.MobileBlockArguments(OutChannels, Kernel, Stride, ExpandRatio, StochasticDepth);

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "fused MBConv blocks must come before Flatten");
        return ShapeRules.SlidingWindow(input, OutChannels, Kernel, Stride, (Kernel - 1) / 2);
    }

    internal override double ParameterCount(SampleShape input)
    {
        var hidden = (double)input.Channels * ExpandRatio + 8;
        return (Kernel * Kernel * input.Channels * hidden) + (hidden * OutChannels) + (4 * hidden) + (4.0 * OutChannels);
    }

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => new FusedMBConvBlock(input.Channels, OutChannels, Kernel, Stride, ExpandRatio, StochasticDepth);
}

/// <summary>ShuffleNetV2's unit, <see cref="ShuffleNetBlock"/> (<see cref="CnnBuilder.ShuffleUnit"/>).</summary>
/// <param name="OutChannels">Output channels, even; with stride 1 equal to the input's.</param>
/// <param name="Stride">1 or 2.</param>
public sealed record ShuffleUnitLayer(
    [property: JsonPropertyName("out_channels")] long OutChannels,
    [property: JsonPropertyName("stride")] long Stride = 1) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => Call(nameof(ShuffleNetBlock), [OutChannels], ("stride", Stride, 1));

    internal override string NamePrefix => "shuffleunit";

    internal override void Validate()
    {
        LayerArguments.Positive(OutChannels, "outChannels");
        if (Stride is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException("stride", Stride, "The stride must be 1 or 2.");
        }
    }

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "ShuffleNet units must come before Flatten");
        if (OutChannels % 2 != 0 || (Stride == 1 && input.Channels != OutChannels))
        {
            throw new ShapeRules.Rejected($"needs an even output width equal to the input's {input.Channels} with stride 1");
        }

        return ShapeRules.SlidingWindow(input, OutChannels, 3, Stride, 1);
    }

    internal override double ParameterCount(SampleShape input) =>
        (12.0 * input.Channels) + (2.0 * input.Channels * OutChannels) + (2.0 * OutChannels * OutChannels) + (10.0 * OutChannels);

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => new ShuffleNetBlock(input.Channels, OutChannels, Stride);
}
