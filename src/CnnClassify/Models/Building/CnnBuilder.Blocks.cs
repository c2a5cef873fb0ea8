using CnnClassify.Layers;
using ActivationFunction = CnnClassify.Layers.Activation;

namespace CnnClassify.Models;

/// <content>The blocks of the newer families: ConvNeXt, MobileNetV3, EfficientNet, ShuffleNet and SqueezeNet.</content>
public sealed partial class CnnBuilder
{
    /// <summary>Adds a depthwise convolution: one filter per input channel (groups equal to the channels), without bias.</summary>
    /// <param name="kernel">Square kernel, at least 1.</param>
    /// <param name="stride">Stride, at least 1.</param>
    /// <param name="padding">Zero padding on each side; <see langword="null"/> keeps the size at stride 1 for odd kernels.</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder DepthwiseConv(long kernel, long stride = 1, long? padding = null)
    {
        var channels = OutputShape.Channels;
        return Append(new ConvLayer(channels, kernel, stride, padding ?? ((kernel - 1) / 2), Groups: channels, Bias: false));
    }

    /// <summary>Adds a <see cref="Layers.LayerNorm2d"/>: layer normalisation over each pixel's channels.</summary>
    /// <param name="eps">Added to the variance; ConvNeXt uses 1e-6.</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder LayerNorm2d(double eps = 1e-6) => Append(new LayerNorm2dLayer(eps));

    /// <summary>Adds a <see cref="ConvNeXtBlock"/> at the current width, with layer scale and stochastic depth.</summary>
    /// <param name="layerScale">The layer scale's starting value, 1e-6 in ConvNeXt.</param>
    /// <param name="stochasticDepth">Probability of dropping the branch per sample while training.</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder ConvNeXt(double layerScale = 1e-6, double stochasticDepth = 0) => Append(new ConvNeXtLayer(layerScale, stochasticDepth));

    /// <summary>Adds <see cref="Layers.SqueezeExcitation"/> at the current width.</summary>
    /// <param name="squeezeChannels">Channels of the bottleneck, such as a quarter of the width.</param>
    /// <param name="activation">The bottleneck's activation; <see langword="null"/> means ReLU.</param>
    /// <param name="gate">The gate; <see langword="null"/> means the sigmoid (MobileNetV3 uses <see cref="ActivationFunction.Hardsigmoid"/>).</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    /// <exception cref="ArgumentException">An activation is custom, and so cannot be recorded.</exception>
    public CnnBuilder SqueezeExcitation(long squeezeChannels, ActivationFunction? activation = null, ActivationFunction? gate = null)
    {
        var act = activation ?? ActivationFunction.ReLU;
        var scale = gate ?? ActivationFunction.Sigmoid;
        if (act.IsCustom || scale.IsCustom)
        {
            throw new ArgumentException("Squeeze-and-excitation takes built-in activations, which a checkpoint can record.", nameof(activation));
        }

        return Append(new SqueezeExcitationLayer(squeezeChannels, act.Name, scale.Name));
    }

    /// <summary>Adds a <see cref="Layers.ChannelShuffle"/> that interleaves <paramref name="groups"/> channel groups.</summary>
    /// <param name="groups">Groups, at least 1; the channels must divide by it.</param>
    /// <exception cref="LayerShapeException">The input is not an image or its channels do not divide.</exception>
    public CnnBuilder ChannelShuffle(long groups) => Append(new ChannelShuffleLayer(groups));

    /// <summary>Adds SqueezeNet's <see cref="FireModule"/>, with <paramref name="expand1x1Channels"/> + <paramref name="expand3x3Channels"/> output channels.</summary>
    /// <param name="squeezeChannels">Channels of the squeeze convolution.</param>
    /// <param name="expand1x1Channels">Channels of the 1x1 expand convolution.</param>
    /// <param name="expand3x3Channels">Channels of the 3x3 expand convolution.</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder Fire(long squeezeChannels, long expand1x1Channels, long expand3x3Channels) =>
        Append(new FireLayer(squeezeChannels, expand1x1Channels, expand3x3Channels));

    /// <summary>Adds MobileNetV3's <see cref="Layers.MobileNetV3Block"/>.</summary>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernel">Depthwise kernel: 3 or 5.</param>
    /// <param name="expandedChannels">Hidden channels.</param>
    /// <param name="squeezeExcitation">Whether the block has squeeze-and-excitation with a hard-sigmoid gate.</param>
    /// <param name="hardSwish">Hard swish as the activation; otherwise ReLU.</param>
    /// <param name="stride">Depthwise stride: 1 or 2.</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder MobileNetV3Block(long outChannels, long kernel, long expandedChannels, bool squeezeExcitation = true, bool hardSwish = true, long stride = 1) =>
        Append(new MobileNetV3Layer(outChannels, kernel, expandedChannels, squeezeExcitation, hardSwish, stride));

    /// <summary>Adds EfficientNet's <see cref="MBConvBlock"/>.</summary>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernel">Depthwise kernel.</param>
    /// <param name="stride">Depthwise stride: 1 or 2.</param>
    /// <param name="expandRatio">Hidden channels per input channel.</param>
    /// <param name="stochasticDepth">Probability of dropping the branch per sample while training.</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder MBConv(long outChannels, long kernel = 3, long stride = 1, long expandRatio = 6, double stochasticDepth = 0) =>
        Append(new MBConvLayer(outChannels, kernel, stride, expandRatio, stochasticDepth));

    /// <summary>Adds EfficientNetV2's <see cref="FusedMBConvBlock"/>.</summary>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernel">Kernel of the fused convolution.</param>
    /// <param name="stride">Stride: 1 or 2.</param>
    /// <param name="expandRatio">Hidden channels per input channel.</param>
    /// <param name="stochasticDepth">Probability of dropping the branch per sample while training.</param>
    /// <exception cref="LayerShapeException">The input is not an image.</exception>
    public CnnBuilder FusedMBConv(long outChannels, long kernel = 3, long stride = 1, long expandRatio = 4, double stochasticDepth = 0) =>
        Append(new FusedMBConvLayer(outChannels, kernel, stride, expandRatio, stochasticDepth));

    /// <summary>Adds ShuffleNetV2's unit, <see cref="ShuffleNetBlock"/>.</summary>
    /// <param name="outChannels">Output channels, even; with stride 1 equal to the input's.</param>
    /// <param name="stride">1 or 2.</param>
    /// <exception cref="LayerShapeException">The input is not an image or the widths do not fit the stride.</exception>
    public CnnBuilder ShuffleUnit(long outChannels, long stride = 1) => Append(new ShuffleUnitLayer(outChannels, stride));
}
