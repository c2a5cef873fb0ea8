using System.Text.Json.Serialization;
using CnnClassify.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>A <see cref="BasicResidualBlock"/>: two 3x3 convolutions and a shortcut (<see cref="CnnBuilder.Residual"/>).</summary>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Stride">Stride; 2 halves the height and width.</param>
public sealed record ResidualLayer(
    [property: JsonPropertyName("out_channels")] long OutChannels,
    [property: JsonPropertyName("stride")] long Stride = 1) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => Call(nameof(BasicResidualBlock), [OutChannels], ("stride", Stride, 1));

    internal override string NamePrefix => "res";

    internal override void Validate()
    {
        LayerArguments.Positive(OutChannels, "outChannels");
        LayerArguments.Positive(Stride, "stride");
    }

    internal override SampleShape OutputShape(SampleShape input) => ResidualShape(input, OutChannels, Stride);

    internal override double ParameterCount(SampleShape input) =>
        (9.0 * input.Channels * OutChannels) + (9.0 * OutChannels * OutChannels) + ((double)input.Channels * OutChannels) + (12.0 * OutChannels);

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => new BasicResidualBlock(input.Channels, OutChannels, Stride);

    /// <summary>The shape of a residual block's output: a 3x3 window at <paramref name="stride"/>, padding 1.</summary>
    internal static SampleShape ResidualShape(SampleShape input, long outChannels, long stride)
    {
        ShapeRules.RequireImage(input, "residual blocks must come before Flatten");
        return ShapeRules.SlidingWindow(input, outChannels, kernel: 3, stride, padding: 1);
    }
}

/// <summary>A <see cref="BottleneckResidualBlock"/> with <c>planes * 4</c> output channels (<see cref="CnnBuilder.Bottleneck"/>).</summary>
/// <param name="Planes">Base width.</param>
/// <param name="Stride">Stride of the 3x3 convolution.</param>
/// <param name="Groups">Groups of the 3x3 convolution.</param>
/// <param name="BaseWidth">Width per group.</param>
public sealed record BottleneckLayer(
    [property: JsonPropertyName("planes")] long Planes,
    [property: JsonPropertyName("stride")] long Stride = 1,
    [property: JsonPropertyName("groups")] long Groups = 1,
    [property: JsonPropertyName("base_width")] long BaseWidth = 64) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) =>
        Call(nameof(BottleneckResidualBlock), [Planes], ("stride", Stride, 1), ("groups", Groups, 1), ("baseWidth", BaseWidth, 64));

    internal override string NamePrefix => "res";

    internal override void Validate()
    {
        LayerArguments.Positive(Planes, "planes");
        LayerArguments.Positive(Stride, "stride");
        LayerArguments.Positive(Groups, "groups");
        LayerArguments.Positive(BaseWidth, "baseWidth");
    }

    internal override SampleShape OutputShape(SampleShape input) => ResidualLayer.ResidualShape(input, Planes * BottleneckResidualBlock.Expansion, Stride);

    internal override double ParameterCount(SampleShape input)
    {
        var width = (double)Planes * BaseWidth / 64 * Groups;
        var output = (double)Planes * BottleneckResidualBlock.Expansion;
        return (input.Channels * width) + (9 * width * width / Groups) + (width * output) + (input.Channels * output) + (8 * width) + (8 * output);
    }

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => new BottleneckResidualBlock(input.Channels, Planes, Stride, Groups, BaseWidth);
}

/// <summary>GoogLeNet's <see cref="InceptionBlock"/>; the height and width are kept (<see cref="CnnBuilder.Inception"/>).</summary>
/// <param name="Channels">The branches' channel counts: 1x1, 3x3 reduce, 3x3, wide reduce, wide, pool projection.</param>
/// <param name="WideKernelSize">Kernel of the wide branch: 3 (torchvision) or 5 (the paper).</param>
public sealed record InceptionLayer(
    [property: JsonPropertyName("channels")] IReadOnlyList<long> Channels,
    [property: JsonPropertyName("wide_kernel_size")] long WideKernelSize = 3) : LayerSpec
{
    /// <summary>The channels as the block takes them.</summary>
    internal InceptionChannels BlockChannels => Channels is { Count: 6 } c
        ? new InceptionChannels(c[0], c[1], c[2], c[3], c[4], c[5])
        : throw new FormatException($"Inception needs 6 channel counts, not {Channels?.Count ?? 0}");

    /// <summary>The record of an Inception block with <paramref name="channels"/>.</summary>
    internal static InceptionLayer For(InceptionChannels channels, long wideKernelSize) =>
        new([channels.Conv1x1, channels.Reduce3x3, channels.Conv3x3, channels.Reduce5x5, channels.Conv5x5, channels.PoolProjection], wideKernelSize);

    /// <inheritdoc />
    public override string Describe(SampleShape input) => $"{nameof(InceptionBlock)}({BlockChannels})";

    internal override string NamePrefix => "inception";

    internal override void Validate() => InceptionBlock.Validate(BlockChannels, WideKernelSize);

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "Inception blocks must come before Flatten");
        return SampleShape.Image(BlockChannels.OutputChannels, input.Height, input.Width);
    }

    internal override double ParameterCount(SampleShape input)
    {
        var c = BlockChannels;
        double inChannels = input.Channels;
        return (inChannels * (c.Conv1x1 + c.Reduce3x3 + c.Reduce5x5 + c.PoolProjection))
            + (9.0 * c.Reduce3x3 * c.Conv3x3) + ((double)WideKernelSize * WideKernelSize * c.Reduce5x5 * c.Conv5x5)
            + (4.0 * (c.Conv1x1 + c.Reduce3x3 + c.Conv3x3 + c.Reduce5x5 + c.Conv5x5 + c.PoolProjection));
    }

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => new InceptionBlock(input.Channels, BlockChannels, WideKernelSize);
}
