using System.Text.Json.Serialization;
using CnnClassify.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>A sliding-window pooling: max (<see cref="MaxPoolLayer"/>) or average (<see cref="AvgPoolLayer"/>).</summary>
/// <param name="Kernel">Square window size.</param>
/// <param name="Stride">Stride; <see langword="null"/> means the kernel size.</param>
/// <param name="Padding">Implicit padding on each side, at most half the kernel.</param>
/// <param name="CeilMode">Whether the output size is rounded up, keeping a partial last window.</param>
public abstract record WindowPoolLayer(
    [property: JsonPropertyName("kernel")] long Kernel,
    [property: JsonPropertyName("stride")] long? Stride,
    [property: JsonPropertyName("padding")] long Padding,
    [property: JsonPropertyName("ceil_mode")] bool CeilMode) : LayerSpec
{
    /// <summary>The PyTorch module's name, such as <c>MaxPool2d</c>.</summary>
    private protected abstract string TypeName { get; }

    /// <summary>The stride used: <see cref="Stride"/>, or the kernel size.</summary>
    internal long Step => Stride ?? Kernel;

    /// <inheritdoc />
    public override string Describe(SampleShape input) =>
        Call(TypeName, [Kernel], ("stride", Step, Kernel), ("padding", Padding, 0), ("ceil_mode", CeilMode ? 1 : 0, 0));

    internal override string NamePrefix => "pool";

    internal override void Validate()
    {
        LayerArguments.Positive(Kernel, "kernel");
        LayerArguments.Positive(Step, "stride");
        LayerArguments.NonNegative(Padding, "padding");
    }

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "pooling must come before Flatten");
        ShapeRules.RequirePoolPadding(Kernel, Padding);
        return ShapeRules.SlidingWindow(input, input.Channels, Kernel, Step, Padding, ceilMode: CeilMode);
    }
}

/// <summary>A 2-D max pooling (<see cref="CnnBuilder.MaxPool"/>).</summary>
/// <param name="Kernel">Square window size.</param>
/// <param name="Stride">Stride; <see langword="null"/> means the kernel size.</param>
/// <param name="Padding">Implicit padding on each side.</param>
/// <param name="CeilMode">Whether the output size is rounded up.</param>
public sealed record MaxPoolLayer(long Kernel, long? Stride = null, long Padding = 0, bool CeilMode = false) : WindowPoolLayer(Kernel, Stride, Padding, CeilMode)
{
    private protected override string TypeName => "MaxPool2d";

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => nn.MaxPool2d(Kernel, stride: Step, padding: Padding, ceil_mode: CeilMode);
}

/// <summary>A 2-D average pooling, padding counted as zeros (<see cref="CnnBuilder.AvgPool"/>).</summary>
/// <param name="Kernel">Square window size.</param>
/// <param name="Stride">Stride; <see langword="null"/> means the kernel size.</param>
/// <param name="Padding">Implicit zero padding on each side.</param>
/// <param name="CeilMode">Whether the output size is rounded up.</param>
public sealed record AvgPoolLayer(long Kernel, long? Stride = null, long Padding = 0, bool CeilMode = false) : WindowPoolLayer(Kernel, Stride, Padding, CeilMode)
{
    private protected override string TypeName => "AvgPool2d";

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => nn.AvgPool2d(Kernel, stride: Step, padding: Padding, ceil_mode: CeilMode);
}

/// <summary>A pooling over the whole image: CxHxW becomes C.</summary>
public abstract record GlobalPoolLayer : LayerSpec
{
    internal override string NamePrefix => "pool";

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "global pooling must come before Flatten");
        return SampleShape.Vector(input.Channels);
    }
}

/// <summary>Each channel's mean over the image (<see cref="CnnBuilder.GlobalAvgPool"/>).</summary>
public sealed record GlobalAvgPoolLayer : GlobalPoolLayer
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => nameof(GlobalAveragePool2d);

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => new GlobalAveragePool2d();
}

/// <summary>Each channel's maximum over the image (<see cref="CnnBuilder.GlobalMaxPool"/>).</summary>
public sealed record GlobalMaxPoolLayer : GlobalPoolLayer
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => nameof(GlobalMaxPool2d);

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => new GlobalMaxPool2d();
}

/// <summary>An adaptive pooling to a fixed output size.</summary>
/// <param name="Height">Output height.</param>
/// <param name="Width">Output width.</param>
public abstract record AdaptivePoolLayer(
    [property: JsonPropertyName("height")] long Height,
    [property: JsonPropertyName("width")] long Width) : LayerSpec
{
    /// <summary>The PyTorch module's name, such as <c>AdaptiveAvgPool2d</c>.</summary>
    private protected abstract string TypeName { get; }

    /// <inheritdoc />
    public override string Describe(SampleShape input) => $"{TypeName}({Height}x{Width})";

    internal override string NamePrefix => "pool";

    internal override void Validate()
    {
        LayerArguments.Positive(Height, "height");
        LayerArguments.Positive(Width, "width");
    }

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "pooling must come before Flatten");
        return SampleShape.Image(input.Channels, Height, Width);
    }
}

/// <summary>An adaptive average pooling (<see cref="CnnBuilder.AdaptiveAvgPool"/>).</summary>
/// <param name="Height">Output height.</param>
/// <param name="Width">Output width.</param>
public sealed record AdaptiveAvgPoolLayer(long Height, long Width) : AdaptivePoolLayer(Height, Width)
{
    private protected override string TypeName => "AdaptiveAvgPool2d";

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => nn.AdaptiveAvgPool2d((Height, Width));
}

/// <summary>An adaptive max pooling (<see cref="CnnBuilder.AdaptiveMaxPool"/>).</summary>
/// <param name="Height">Output height.</param>
/// <param name="Width">Output width.</param>
public sealed record AdaptiveMaxPoolLayer(long Height, long Width) : AdaptivePoolLayer(Height, Width)
{
    private protected override string TypeName => "AdaptiveMaxPool2d";

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => nn.AdaptiveMaxPool2d([Height, Width]);
}
