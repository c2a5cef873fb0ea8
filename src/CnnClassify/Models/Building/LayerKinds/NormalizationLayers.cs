using System.Text.Json.Serialization;
using CnnClassify.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>A BatchNorm over an image's channels (BatchNorm2d) or a vector's features (BatchNorm1d) (<see cref="CnnBuilder.BatchNorm"/>).</summary>
/// <param name="Eps">Added to the variance for stability.</param>
/// <param name="Momentum">Weight of the newest batch in the running statistics.</param>
public sealed record BatchNormLayer(
    [property: JsonPropertyName("eps")] double Eps = 1e-5,
    [property: JsonPropertyName("momentum")] double Momentum = 0.1) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => input.IsImage ? "BatchNorm2d" : "BatchNorm1d";

    internal override string NamePrefix => "bn";

    internal override void Validate()
    {
        if (!(Eps > 0) || !(Momentum >= 0 && Momentum <= 1))
        {
            throw new ArgumentOutOfRangeException("eps", $"eps must be > 0 and momentum in [0, 1]; got eps={Eps}, momentum={Momentum}.");
        }
    }

    internal override SampleShape OutputShape(SampleShape input) =>
        input.Rank is 1 or 3 ? input : throw new ShapeRules.Rejected("is neither an image nor a vector");

    internal override double ParameterCount(SampleShape input) => 4.0 * input.Channels;

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => input.IsImage
        ? new Layers.BatchNorm2d(input.Channels, Eps, Momentum)
        : new Layers.BatchNorm1d(input.Channels, Eps, Momentum);
}

/// <summary>AlexNet's local response normalisation across channels (<see cref="CnnBuilder.LocalResponseNorm"/>).</summary>
/// <param name="Size">Channels in the window.</param>
/// <param name="Alpha">Scale of the sum of squares.</param>
/// <param name="Beta">Exponent.</param>
/// <param name="K">Additive constant.</param>
public sealed record LocalResponseNormLayer(
    [property: JsonPropertyName("size")] long Size = 5,
    [property: JsonPropertyName("alpha")] double Alpha = 1e-4,
    [property: JsonPropertyName("beta")] double Beta = 0.75,
    [property: JsonPropertyName("k")] double K = 2.0) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => $"LocalResponseNorm({Size})";

    internal override string NamePrefix => "lrn";

    internal override void Validate() => LocalResponseNormalization.Validate(Size, Alpha, Beta, K);

    internal override SampleShape OutputShape(SampleShape input)
    {
        ShapeRules.RequireImage(input, "local response normalisation works across image channels");
        return input;
    }

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => new LocalResponseNormalization(Size, Alpha, Beta, K);
}
