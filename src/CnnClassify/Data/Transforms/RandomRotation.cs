using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// Rotates an image about its centre by an angle drawn from a range, bilinear by default (unlike
/// TorchVision .NET, which defaults to nearest). Positive angles turn counter-clockwise.
/// </summary>
public sealed class RandomRotation : IImageTransform
{
    private readonly RandomAffine _affine;

    /// <summary>Rotates by an angle in [-<paramref name="degrees"/>, <paramref name="degrees"/>].</summary>
    /// <param name="degrees">Largest rotation in degrees, at least 0.</param>
    /// <param name="interpolation">Nearest or bilinear resampling.</param>
    /// <param name="fill">Value of uncovered pixels.</param>
    public RandomRotation(double degrees, Interpolation interpolation = Interpolation.Bilinear, double fill = 0)
        : this((-degrees, degrees), interpolation, fill)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(degrees);
    }

    /// <summary>Rotates by an angle in the given range.</summary>
    /// <param name="degrees">The range in degrees.</param>
    /// <param name="interpolation">Nearest or bilinear resampling.</param>
    /// <param name="fill">Value of uncovered pixels.</param>
    public RandomRotation((double Min, double Max) degrees, Interpolation interpolation = Interpolation.Bilinear, double fill = 0) =>
        _affine = new RandomAffine(degrees, interpolation: interpolation, fill: fill);

    /// <summary>The rotation range in degrees.</summary>
    public (double Min, double Max) Degrees => _affine.Degrees;

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random) => _affine.Apply(image, random);
}
