using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// A random affine transform about the image centre: rotation, translation, scaling and shear,
/// each drawn uniformly from its range. Positive angles turn the image counter-clockwise.
/// Uncovered pixels take <see cref="Fill"/>.
/// </summary>
public sealed class RandomAffine : IImageTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="degrees">Rotation range in degrees, such as (-15, 15).</param>
    /// <param name="translate">Largest shift as a share of width and height, such as (0.1, 0.1); <see langword="null"/> for none.</param>
    /// <param name="scale">Scale range, such as (0.9, 1.1); <see langword="null"/> for none.</param>
    /// <param name="shear">Horizontal shear range in degrees, such as (-10, 10); <see langword="null"/> for none.</param>
    /// <param name="interpolation">Nearest or bilinear resampling.</param>
    /// <param name="fill">Value of uncovered pixels, on the image's scale (0 to 255 for <c>uint8</c>).</param>
    public RandomAffine((double Min, double Max) degrees, (double X, double Y)? translate = null, (double Min, double Max)? scale = null, (double Min, double Max)? shear = null, Interpolation interpolation = Interpolation.Bilinear, double fill = 0)
    {
        if (degrees.Min > degrees.Max || (scale is { } s && !(s.Min > 0 && s.Min <= s.Max)) || (shear is { } h && (h.Min > h.Max || Math.Abs(h.Min) >= 90 || Math.Abs(h.Max) >= 90)))
        {
            throw new ArgumentOutOfRangeException(nameof(degrees), "Ranges must have min <= max, scales must be > 0 and shears within (-90, 90) degrees.");
        }

        if (translate is { } t && (t.X is < 0 or > 1 || t.Y is < 0 or > 1))
        {
            throw new ArgumentOutOfRangeException(nameof(translate), translate, "Translation shares must be in [0, 1].");
        }

        if (interpolation == Interpolation.Bicubic)
        {
            throw new ArgumentException("Affine transforms resample with Nearest or Bilinear.", nameof(interpolation));
        }

        (Degrees, Translate, Scale, Shear, Interpolation, Fill) = (degrees, translate, scale, shear, interpolation, fill);
    }

    /// <summary>Rotation range in degrees.</summary>
    public (double Min, double Max) Degrees { get; }

    /// <summary>Largest shift as a share of width and height.</summary>
    public (double X, double Y)? Translate { get; }

    /// <summary>Scale range.</summary>
    public (double Min, double Max)? Scale { get; }

    /// <summary>Horizontal shear range in degrees.</summary>
    public (double Min, double Max)? Shear { get; }

    /// <summary>The resampling method.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>Value of uncovered pixels.</summary>
    public double Fill { get; }

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(RandomAffine));
        var angle = ImageOps.Uniform(random, Degrees.Min, Degrees.Max) * Math.PI / 180;
        var (tx, ty) = Translate is { } t
            ? (Math.Round(ImageOps.Uniform(random, -t.X, t.X) * image.shape[2]), Math.Round(ImageOps.Uniform(random, -t.Y, t.Y) * image.shape[1]))
            : (0.0, 0.0);
        var s = Scale is { } range ? ImageOps.Uniform(random, range.Min, range.Max) : 1.0;
        var shear = Shear is { } sh ? Math.Tan(ImageOps.Uniform(random, sh.Min, sh.Max) * Math.PI / 180) : 0.0;

        // Counter-clockwise rotation with y pointing down, then horizontal shear, then scale.
        var (cos, sin) = (Math.Cos(angle), Math.Sin(angle));
        double[,] matrix =
        {
            { s * cos, s * ((cos * shear) + sin) },
            { -s * sin, s * ((-sin * shear) + cos) },
        };
        return ImageOps.Affine(image, matrix, tx, ty, Interpolation, Fill);
    }
}
