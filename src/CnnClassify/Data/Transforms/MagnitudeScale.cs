using TorchSharp;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// The magnitude of an operation at a bin of a policy's scale, as torchvision computes its scales:
/// float32 <c>linspace</c> from 0 to the operation's largest magnitude (Solarize from 255 down to 0),
/// and Posterize's bits from a top value down by a span.
/// </summary>
internal static class MagnitudeScale
{
    /// <summary>The largest magnitudes of a policy's continuous operations.</summary>
    /// <param name="Shear">Shear factor.</param>
    /// <param name="Translate">Shift in pixels, given the image's side along the shift.</param>
    /// <param name="Rotate">Degrees.</param>
    /// <param name="Enhance">Brightness, colour, contrast and sharpness.</param>
    /// <param name="PosterizeTop">Bits kept at bin 0.</param>
    /// <param name="PosterizeSpan">Bits taken away across the scale.</param>
    public sealed record Ranges(double Shear, Func<long, double> Translate, double Rotate, double Enhance, int PosterizeTop, int PosterizeSpan);

    /// <summary>AutoAugment's and RandAugment's scale: translations up to 150/331 of the side.</summary>
    public static readonly Ranges Standard = new(0.3, side => 150.0 / 331.0 * side, 30.0, 0.9, 8, 4);

    /// <summary>TrivialAugment Wide's scale.</summary>
    public static readonly Ranges Wide = new(0.99, _ => 32.0, 135.0, 0.99, 8, 6);

    /// <summary>AugMix's scale: translations up to a third of the side, Posterize from 4 bits.</summary>
    public static readonly Ranges AugMix = new(0.3, side => side / 3.0, 30.0, 0.9, 4, 4);

    /// <summary>Whether the operation's magnitude takes a random sign.</summary>
    public static bool IsSigned(AugmentationOp op) => op is AugmentationOp.ShearX or AugmentationOp.ShearY or AugmentationOp.TranslateX or AugmentationOp.TranslateY
        or AugmentationOp.Rotate or AugmentationOp.Brightness or AugmentationOp.Color or AugmentationOp.Contrast or AugmentationOp.Sharpness;

    /// <summary>Whether the operation has a magnitude at all.</summary>
    public static bool HasMagnitude(AugmentationOp op) => op is not (AugmentationOp.Identity or AugmentationOp.AutoContrast or AugmentationOp.Equalize or AugmentationOp.Invert);

    /// <summary>The unsigned magnitude of <paramref name="op"/> at <paramref name="bin"/> of <paramref name="bins"/> for an image of the given size.</summary>
    public static double Magnitude(Ranges scale, AugmentationOp op, int bin, int bins, long height, long width) => op switch
    {
        AugmentationOp.ShearX or AugmentationOp.ShearY => Linspace(0, scale.Shear, bins, bin),
        AugmentationOp.TranslateX => Linspace(0, scale.Translate(width), bins, bin),
        AugmentationOp.TranslateY => Linspace(0, scale.Translate(height), bins, bin),
        AugmentationOp.Rotate => Linspace(0, scale.Rotate, bins, bin),
        AugmentationOp.Brightness or AugmentationOp.Color or AugmentationOp.Contrast or AugmentationOp.Sharpness => Linspace(0, scale.Enhance, bins, bin),
        AugmentationOp.Posterize => scale.PosterizeTop - (int)MathF.Round(bin / (float)((bins - 1) / (double)scale.PosterizeSpan), MidpointRounding.ToEven),
        AugmentationOp.Solarize => Linspace(255, 0, bins, bin),
        _ => 0,
    };

    /// <summary>Checks a policy's number of bins and its chosen bin.</summary>
    public static void Require(int bins, int bin, string binName)
    {
        if (bins < 2 || bins > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(bins), bins, "A magnitude scale needs 2 to 1000 bins.");
        }

        if (bin < 0 || bin >= bins)
        {
            throw new ArgumentOutOfRangeException(binName, bin, $"{binName} must be a bin of the scale, 0 to {bins - 1}.");
        }
    }

    private static double Linspace(double start, double end, int bins, int bin)
    {
        using var values = torch.linspace(start, end, bins);
        return values.data<float>()[bin];
    }
}
