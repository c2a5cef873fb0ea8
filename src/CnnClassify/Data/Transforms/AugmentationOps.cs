using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// Applies one <see cref="AugmentationOp"/> to a <c>uint8</c> image with a given magnitude, with the
/// arithmetic of torchvision 0.21's tensor functions (truncating casts, nearest or bilinear grid
/// sampling, zero or <c>fill</c> outside the image), so a policy's output matches torchvision's for
/// the same draws.
/// </summary>
public static class AugmentationOps
{
    /// <summary>Returns the image with <paramref name="op"/> applied; <paramref name="image"/> is not changed or disposed.</summary>
    /// <param name="image">[C, H, W], <c>uint8</c>, with 1 or 3 channels.</param>
    /// <param name="op">The operation.</param>
    /// <param name="magnitude">Its magnitude, in the unit <see cref="AugmentationOp"/> gives.</param>
    /// <param name="interpolation">Resampling of the geometric operations: <see cref="Interpolation.Nearest"/> or <see cref="Interpolation.Bilinear"/>.</param>
    /// <param name="fill">The value of pixels the geometric operations uncover: one for every channel or one per channel; <see langword="null"/> for 0.</param>
    public static Tensor Apply(Tensor image, AugmentationOp op, double magnitude, Interpolation interpolation = Interpolation.Nearest, IReadOnlyList<double>? fill = null)
    {
        RequireByteImage(image, nameof(AugmentationOps));
        RequireSampling(interpolation, fill, (int)image.shape[0]);
        var (height, width) = (image.shape[1], image.shape[2]);
        return op switch
        {
            AugmentationOp.Identity => image.clone(),
            AugmentationOp.ShearX => Affine(image, AffineInverse(-width * 0.5, -height * 0.5, 0, 0, 0, Degrees(Math.Atan(magnitude)), 0), interpolation, fill),
            AugmentationOp.ShearY => Affine(image, AffineInverse(-width * 0.5, -height * 0.5, 0, 0, 0, 0, Degrees(Math.Atan(magnitude))), interpolation, fill),
            AugmentationOp.TranslateX => Affine(image, AffineInverse(0, 0, 0, Math.Truncate(magnitude), 0, 0, 0), interpolation, fill),
            AugmentationOp.TranslateY => Affine(image, AffineInverse(0, 0, 0, 0, Math.Truncate(magnitude), 0, 0), interpolation, fill),
            AugmentationOp.Rotate => Affine(image, AffineInverse(0, 0, -magnitude, 0, 0, 0, 0), interpolation, fill),
            AugmentationOp.Brightness => PixelAdjustments.Brightness(image, RequireFactor(1 + magnitude, op)),
            AugmentationOp.Color => PixelAdjustments.Saturation(image, RequireFactor(1 + magnitude, op)),
            AugmentationOp.Contrast => PixelAdjustments.Contrast(image, RequireFactor(1 + magnitude, op)),
            AugmentationOp.Sharpness => PixelAdjustments.Sharpness(image, RequireFactor(1 + magnitude, op)),
            AugmentationOp.Posterize => PixelAdjustments.Posterize(image, (int)Math.Truncate(magnitude)),
            AugmentationOp.Solarize => PixelAdjustments.Solarize(image, magnitude),
            AugmentationOp.AutoContrast => PixelAdjustments.AutoContrast(image),
            AugmentationOp.Equalize => PixelAdjustments.Equalize(image),
            AugmentationOp.Invert => PixelAdjustments.Invert(image),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown augmentation operation."),
        };
    }

    /// <summary>Applies the steps in order, each to the previous one's output.</summary>
    /// <param name="image">[C, H, W], <c>uint8</c>; not changed or disposed.</param>
    /// <param name="steps">The operations and magnitudes.</param>
    /// <param name="interpolation">Resampling of the geometric operations.</param>
    /// <param name="fill">The value of uncovered pixels; <see langword="null"/> for 0.</param>
    public static Tensor Apply(Tensor image, IEnumerable<AugmentationStep> steps, Interpolation interpolation = Interpolation.Nearest, IReadOnlyList<double>? fill = null)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var current = image.clone();
        foreach (var step in steps)
        {
            var next = Apply(current, step.Op, step.Magnitude, interpolation, fill);
            current.Dispose();
            current = next;
        }

        return current;
    }

    internal static void RequireByteImage(Tensor image, string transform)
    {
        ImageOps.RequireImage(image, transform);
        if (image.dtype != ScalarType.Byte)
        {
            throw new ArgumentException($"{transform} works on uint8 images, as torchvision's does; apply it before ToTensor(). Got {image.dtype}.", nameof(image));
        }

        if (image.shape[0] is not (1 or 3))
        {
            throw new ArgumentException($"{transform} expects 1 or 3 channels; got {image.shape[0]}.", nameof(image));
        }
    }

    internal static void RequireSampling(Interpolation interpolation, IReadOnlyList<double>? fill, int? channels = null)
    {
        if (interpolation == Interpolation.Bicubic)
        {
            throw new ArgumentException("Augmentation policies resample with Nearest or Bilinear, as torchvision's do on tensors.", nameof(interpolation));
        }

        if (fill is null)
        {
            return;
        }

        if (fill.Count == 0 || fill.Any(v => !(v >= 0 && v <= 255)))
        {
            throw new ArgumentOutOfRangeException(nameof(fill), "fill needs one value per channel or one for all, each in [0, 255].");
        }

        if (channels is { } c && fill.Count != 1 && fill.Count != c)
        {
            throw new ArgumentException($"fill has {fill.Count} values for an image of {c} channels; give one or {c}.", nameof(fill));
        }
    }

    private static double RequireFactor(double factor, AugmentationOp op) => factor >= 0
        ? factor
        : throw new ArgumentOutOfRangeException(nameof(factor), factor, $"{op} needs a magnitude of at least -1 (a factor of at least 0).");

    private static double Degrees(double radians) => radians * (180.0 / Math.PI);

    private static double Radians(double degrees) => degrees * (Math.PI / 180.0);

    // The map from output to input pixel, about the image centre, of a rotation by `angle` degrees,
    // shears `shearX` and `shearY` degrees and a translation, centred on (centreX, centreY)
    // (pixels from the image centre); torchvision's inverse affine matrix, row-major 2x3.
    internal static double[] AffineInverse(double centreX, double centreY, double angle, double translateX, double translateY, double shearX, double shearY)
    {
        var (rotation, sx, sy) = (Radians(angle), Radians(shearX), Radians(shearY));
        var a = Math.Cos(rotation - sy) / Math.Cos(sy);
        var b = (-Math.Cos(rotation - sy) * Math.Tan(sx) / Math.Cos(sy)) - Math.Sin(rotation);
        var c = Math.Sin(rotation - sy) / Math.Cos(sy);
        var d = (-Math.Sin(rotation - sy) * Math.Tan(sx) / Math.Cos(sy)) + Math.Cos(rotation);
        var m = new[] { d, -b, 0.0, -c, a, 0.0 };
        m[2] += (m[0] * (-centreX - translateX)) + (m[1] * (-centreY - translateY));
        m[5] += (m[3] * (-centreX - translateX)) + (m[4] * (-centreY - translateY));
        m[2] += centreX;
        m[5] += centreY;
        return m;
    }

    // Samples the image through `inverse` on a grid of pixel centres, in float32 as torchvision does.
    internal static Tensor Affine(Tensor image, double[] inverse, Interpolation interpolation, IReadOnlyList<double>? fill)
    {
        using var scope = torch.NewDisposeScope();
        var (channels, height, width) = (image.shape[0], image.shape[1], image.shape[2]);
        var theta = torch.tensor(inverse.Select(v => (float)v).ToArray(), [1, 2, 3]);
        var grid = torch.empty(1, height, width, 3);
        grid.select(3, 0).copy_(torch.linspace((-width * 0.5) + 0.5, (width * 0.5) + 0.5 - 1, width));
        grid.select(3, 1).copy_(torch.linspace((-height * 0.5) + 0.5, (height * 0.5) + 0.5 - 1, height).unsqueeze(-1));
        grid.select(3, 2).fill_(HeldScalars.One);
        var halfSize = torch.tensor(new[] { (float)(0.5 * width), (float)(0.5 * height) });
        var sampling = grid.view(1, height * width, 3).bmm(theta.transpose(1, 2).div(halfSize)).view(1, height, width, 2);

        var pixels = image.to(ScalarType.Float32).unsqueeze(0);
        if (fill is not null)
        {
            pixels = torch.cat([pixels, torch.ones(1, 1, height, width)], 1);
        }

        var mode = interpolation == Interpolation.Nearest ? GridSampleMode.Nearest : GridSampleMode.Bilinear;
        var sampled = nn.functional.grid_sample(pixels, sampling, mode, GridSamplePaddingMode.Zeros, align_corners: false);
        if (fill is not null)
        {
            var covered = sampled.narrow(1, channels, 1).expand(1, channels, height, width);
            sampled = sampled.narrow(1, 0, channels);
            var values = fill.Count == 1 ? Enumerable.Repeat((float)fill[0], (int)channels).ToArray() : fill.Select(v => (float)v).ToArray();
            var background = torch.tensor(values).view(1, channels, 1, 1).expand_as(sampled);
            if (interpolation == Interpolation.Nearest)
            {
                using var half = 0.5.ToScalar();
                sampled = torch.where(covered.lt(half), background, sampled);
            }
            else
            {
                var uncovered = torch.ones_like(covered).sub(covered);
                sampled = sampled.mul(covered).add(uncovered.mul(background), HeldScalars.One);
            }
        }

        return sampled.squeeze(0).round().to(ScalarType.Byte).MoveToOuterDisposeScope();
    }
}
