using System.Text.Json.Serialization;
using CnnClassify.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>A 2-D convolution (<see cref="CnnBuilder.Conv"/>); its input channels come from the shape reaching it.</summary>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Kernel">Square kernel size.</param>
/// <param name="Stride">Stride.</param>
/// <param name="Padding">Zero padding on each side.</param>
/// <param name="Dilation">Kernel dilation.</param>
/// <param name="Groups">Groups.</param>
/// <param name="Bias">Whether the convolution has a bias.</param>
public sealed record ConvLayer(
    [property: JsonPropertyName("out_channels")] long OutChannels,
    [property: JsonPropertyName("kernel")] long Kernel,
    [property: JsonPropertyName("stride")] long Stride = 1,
    [property: JsonPropertyName("padding")] long Padding = 0,
    [property: JsonPropertyName("dilation")] long Dilation = 1,
    [property: JsonPropertyName("groups")] long Groups = 1,
    [property: JsonPropertyName("bias")] bool Bias = true) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) =>
        Call("Conv2d", [OutChannels, Kernel], ("stride", Stride, 1), ("padding", Padding, 0), ("dilation", Dilation, 1), ("groups", Groups, 1));

    internal override string NamePrefix => "conv";

    internal override void Validate()
    {
        LayerArguments.Positive(OutChannels, "outChannels");
        LayerArguments.Positive(Kernel, "kernel");
        LayerArguments.Positive(Stride, "stride");
        LayerArguments.NonNegative(Padding, "padding");
        LayerArguments.Positive(Dilation, "dilation");
        LayerArguments.Positive(Groups, "groups");
    }

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "convolutions must come before Flatten");
        ShapeRules.RequireDivisibleChannels(input, Groups);
        if (OutChannels % Groups != 0)
        {
            throw new ShapeRules.Rejected($"gives {OutChannels} output channels, which groups={Groups} does not divide");
        }

        return ShapeRules.SlidingWindow(input, OutChannels, Kernel, Stride, Padding, Dilation);
    }

    internal override double ParameterCount(SampleShape input) =>
        ((double)input.Channels / Groups * OutChannels * Kernel * Kernel) + (Bias ? OutChannels : 0);

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) =>
        nn.Conv2d(input.Channels, OutChannels, Kernel, stride: Stride, padding: Padding, dilation: Dilation, groups: Groups, bias: Bias);
}

/// <summary>A <see cref="Layers.ConvBlock"/>: convolution, optional BatchNorm, activation (<see cref="CnnBuilder.ConvBlock"/>).</summary>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Kernel">Square kernel size.</param>
/// <param name="Stride">Stride.</param>
/// <param name="Padding">Zero padding on each side; <see langword="null"/> keeps the size at stride 1 for odd kernels.</param>
/// <param name="Activation">The built-in activation's name, such as <c>ReLU</c> (<see cref="Layers.Activation.FromName"/>).</param>
/// <param name="BatchNorm">Whether a BatchNorm follows the convolution.</param>
public sealed record ConvBlockLayer(
    [property: JsonPropertyName("out_channels")] long OutChannels,
    [property: JsonPropertyName("kernel")] long Kernel,
    [property: JsonPropertyName("stride")] long Stride = 1,
    [property: JsonPropertyName("padding")] long? Padding = null,
    [property: JsonPropertyName("activation")] string Activation = "ReLU",
    [property: JsonPropertyName("batch_norm")] bool BatchNorm = true) : LayerSpec
{
    /// <summary>The padding used: <see cref="Padding"/>, or half the kernel.</summary>
    internal long Pad => Padding ?? ((Kernel - 1) / 2);

    /// <inheritdoc />
    public override string Describe(SampleShape input) =>
        Call(nameof(ConvBlock), [OutChannels, Kernel], ("stride", Stride, 1), ("padding", Pad, (Kernel - 1) / 2), ("batchNorm", BatchNorm ? 1 : 0, 1))[..^1] + $", {Activation})";

    internal override string NamePrefix => "convblock";

    internal override void Validate()
    {
        LayerArguments.Positive(OutChannels, "outChannels");
        LayerArguments.Positive(Kernel, "kernel");
        LayerArguments.Positive(Stride, "stride");
        LayerArguments.NonNegative(Pad, "padding");
        _ = ActivationFunction;
    }

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "convolutions must come before Flatten");
        return ShapeRules.SlidingWindow(input, OutChannels, Kernel, Stride, Pad);
    }

    internal override double ParameterCount(SampleShape input) =>
        ((double)input.Channels * OutChannels * Kernel * Kernel) + (2.0 * OutChannels);

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) =>
        new ConvBlock(input.Channels, OutChannels, Kernel, Stride, Pad, batchNorm: BatchNorm, activation: ActivationFunction);

    private Layers.Activation ActivationFunction => ActivationLayer.Named(Activation);
}
