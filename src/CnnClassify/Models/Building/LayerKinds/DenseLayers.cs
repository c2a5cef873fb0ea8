using System.Globalization;
using System.Text.Json.Serialization;
using CnnClassify.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>A flatten: any shape becomes a vector of its element count (<see cref="CnnBuilder.Flatten"/>).</summary>
public sealed record FlattenLayer : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => "Flatten";

    internal override string NamePrefix => "flatten";

    internal override SampleShape OutputShape(SampleShape input) => SampleShape.Vector(input.ElementCount);

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => nn.Flatten();
}

/// <summary>A fully connected layer (<see cref="CnnBuilder.Dense"/>); its input features come from the shape reaching it.</summary>
/// <param name="OutFeatures">Output features.</param>
/// <param name="Bias">Whether the layer has a bias.</param>
public sealed record LinearLayer(
    [property: JsonPropertyName("out_features")] long OutFeatures,
    [property: JsonPropertyName("bias")] bool Bias = true) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => Call("Linear", [OutFeatures], ("bias", Bias ? 1 : 0, 1));

    internal override string NamePrefix => "fc";

    internal override void Validate() => LayerArguments.Positive(OutFeatures, "outFeatures");

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireVector(input, "add Flatten() or a global pool before Dense");
        return SampleShape.Vector(OutFeatures);
    }

    internal override double ParameterCount(SampleShape input) => ((double)input.Channels * OutFeatures) + (Bias ? OutFeatures : 0);

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => nn.Linear(input.Channels, OutFeatures, hasBias: Bias);
}

/// <summary>Dropout, zeroing each element with probability <paramref name="Probability"/> while training (<see cref="CnnBuilder.Dropout"/>).</summary>
/// <param name="Probability">Drop probability in [0, 1).</param>
public sealed record DropoutLayer([property: JsonPropertyName("probability")] double Probability = 0.5) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => $"Dropout({Probability.ToString(CultureInfo.InvariantCulture)})";

    internal override string NamePrefix => "dropout";

    internal override void Validate() => LayerArguments.Probability(Probability, "probability");

    internal override SampleShape OutputShape(SampleShape input) => input;

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => nn.Dropout(Probability);
}
