using System.Globalization;
using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// One kind of <see cref="CnnBuilder"/> layer as data: its arguments, the shape it gives, the module
/// it makes and how a summary describes it. A builder model's record (<see cref="CnnArchitecture"/>)
/// is a list of these, written as typed JSON (<c>"kind"</c> names the kind, each argument has a
/// fixed JSON name), so a checkpoint's format does not depend on C# parameter names.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(ConvLayer), "Conv")]
[JsonDerivedType(typeof(ConvBlockLayer), "ConvBlock")]
[JsonDerivedType(typeof(BatchNormLayer), "BatchNorm")]
[JsonDerivedType(typeof(ActivationLayer), "Activation")]
[JsonDerivedType(typeof(MaxPoolLayer), "MaxPool")]
[JsonDerivedType(typeof(AvgPoolLayer), "AvgPool")]
[JsonDerivedType(typeof(GlobalAvgPoolLayer), "GlobalAvgPool")]
[JsonDerivedType(typeof(GlobalMaxPoolLayer), "GlobalMaxPool")]
[JsonDerivedType(typeof(AdaptiveAvgPoolLayer), "AdaptiveAvgPool")]
[JsonDerivedType(typeof(AdaptiveMaxPoolLayer), "AdaptiveMaxPool")]
[JsonDerivedType(typeof(FlattenLayer), "Flatten")]
[JsonDerivedType(typeof(LinearLayer), "Dense")]
[JsonDerivedType(typeof(DropoutLayer), "Dropout")]
[JsonDerivedType(typeof(LocalResponseNormLayer), "LocalResponseNorm")]
[JsonDerivedType(typeof(ResidualLayer), "Residual")]
[JsonDerivedType(typeof(BottleneckLayer), "Bottleneck")]
[JsonDerivedType(typeof(InceptionLayer), "Inception")]
[JsonDerivedType(typeof(LayerNorm2dLayer), "LayerNorm2d")]
[JsonDerivedType(typeof(ConvNeXtLayer), "ConvNeXt")]
[JsonDerivedType(typeof(SqueezeExcitationLayer), "SqueezeExcitation")]
[JsonDerivedType(typeof(ChannelShuffleLayer), "ChannelShuffle")]
[JsonDerivedType(typeof(FireLayer), "Fire")]
[JsonDerivedType(typeof(MobileNetV3Layer), "MobileNetV3Block")]
[JsonDerivedType(typeof(MBConvLayer), "MBConv")]
[JsonDerivedType(typeof(FusedMBConvLayer), "FusedMBConv")]
[JsonDerivedType(typeof(ShuffleUnitLayer), "ShuffleUnit")]
[JsonDerivedType(typeof(CustomLayer), CustomLayer.Kind)]
public abstract record LayerSpec
{
    /// <summary>Whether the layer can be made again from this record alone (everything but <see cref="CustomLayer"/>).</summary>
    [JsonIgnore]
    public bool IsRebuildable => this is not CustomLayer;

    /// <summary>How a summary shows the layer, such as <c>Conv2d(32, 3, padding=1)</c>.</summary>
    /// <param name="input">The shape reaching the layer.</param>
    public abstract string Describe(SampleShape input);

    /// <summary>The stem of the layer's default name, such as <c>conv</c> for <c>conv1</c>.</summary>
    internal abstract string NamePrefix { get; }

    /// <summary>Checks the arguments, as the builder method does.</summary>
    /// <exception cref="ArgumentException">An argument is out of range; the message names it.</exception>
    internal virtual void Validate()
    {
    }

    /// <summary>The shape the layer gives for <paramref name="input"/>.</summary>
    /// <exception cref="ShapeRules.Rejected">The layer cannot take <paramref name="input"/>; the message says why.</exception>
    internal abstract SampleShape OutputShape(SampleShape input);

    /// <summary>
    /// About how many parameters the layer has for <paramref name="input"/> (exact for plain layers,
    /// an upper estimate for blocks), computed without making it: what a record read from a file
    /// is bounded by before any weight is allocated.
    /// </summary>
    internal virtual double ParameterCount(SampleShape input) => 0;

    /// <summary>A new module for <paramref name="input"/>, with fresh weights.</summary>
    internal abstract nn.Module<Tensor, Tensor> Create(SampleShape input);

    /// <summary>PyTorch's <c>repr</c> style: positional values, then named ones that differ from their defaults.</summary>
    private protected static string Call(string type, long[] positional, params (string Name, long Value, long Default)[] named)
    {
        var parts = positional.Select(value => value.ToString(CultureInfo.InvariantCulture))
            .Concat(named.Where(option => option.Value != option.Default).Select(option => option.Name switch
            {
                "bias" or "ceil_mode" or "batchNorm" => $"{option.Name}={(option.Value != 0 ? "True" : "False")}",
                _ => $"{option.Name}={option.Value.ToString(CultureInfo.InvariantCulture)}",
            }));
        return $"{type}({string.Join(", ", parts)})";
    }
}

/// <summary>A layer added by code (<see cref="CnnBuilder.Add"/>, a custom activation): recorded by its description, never rebuilt from it.</summary>
/// <param name="Description">What the layer was, for messages and summaries.</param>
public sealed record CustomLayer([property: JsonPropertyName("description")] string Description) : LayerSpec
{
    /// <summary>The kind's name in the record.</summary>
    public const string Kind = "Custom";

    /// <inheritdoc />
    public override string Describe(SampleShape input) => Description;

    internal override string NamePrefix => "custom";

    internal override SampleShape OutputShape(SampleShape input) =>
        throw new InvalidOperationException($"'{Description}' was added by code; its shape is known only to that code.");

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) =>
        throw new InvalidOperationException($"'{Description}' was added by code; build the model with the same CnnBuilder calls.");
}
