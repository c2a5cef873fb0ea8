using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>Pixel operations shared by the transforms.</summary>
internal static class ImageOps
{
    public static void RequireImage(Tensor image, string transform)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 3)
        {
            throw new ArgumentException($"{transform} expects one image [C, H, W]; got [{string.Join(", ", image.shape)}].", nameof(image));
        }
    }

    public static void RequireBatch(Tensor images, IReadOnlyList<Random> randoms, string transform)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(randoms);
        if (images.dim() != 4)
        {
            throw new ArgumentException($"{transform} expects a batch [N, C, H, W]; got [{string.Join(", ", images.shape)}].", nameof(images));
        }

        if (randoms.Count != images.shape[0])
        {
            throw new ArgumentException($"{transform} got {randoms.Count} random sources for a batch of {images.shape[0]}.", nameof(randoms));
        }
    }

    /// <summary>
    /// A batch whose sample i is <paramref name="transformed"/>'s where <paramref name="chosen"/>[i]
    /// holds and <paramref name="original"/>'s elsewhere.
    /// </summary>
    public static Tensor Choose(bool[] chosen, Tensor transformed, Tensor original)
    {
        using var flags = torch.tensor(chosen);
        using var mask = flags.view(chosen.Length, 1, 1, 1);
        return torch.where(mask, transformed, original);
    }

    /// <summary>
    /// One window per sample of a batch [N, C, H, W]: sample i's rows from <paramref name="tops"/>[i]
    /// and columns from <paramref name="lefts"/>[i], <paramref name="height"/> x <paramref name="width"/>,
    /// gathered in two operations. The windows must lie inside the images.
    /// </summary>
    public static Tensor CropEach(Tensor images, long[] tops, long[] lefts, long height, long width)
    {
        using var scope = torch.NewDisposeScope();
        var (n, c) = (images.shape[0], images.shape[1]);
        var rows = torch.tensor(tops).view(n, 1, 1, 1).add(Positions(height).view(1, 1, height, 1), HeldScalars.One).expand(n, c, height, images.shape[3]);
        var band = images.gather(2, rows);
        var columns = torch.tensor(lefts).view(n, 1, 1, 1).add(Positions(width).view(1, 1, 1, width), HeldScalars.One).expand(n, c, height, width);
        return band.gather(3, columns).MoveToOuterDisposeScope();
    }

    /// <summary>0, 1, ..., <paramref name="count"/> - 1 as int64, made without a Scalar the finalizer could free mid-call.</summary>
    public static Tensor Positions(long count) => torch.tensor(Enumerable.Range(0, checked((int)count)).Select(i => (long)i).ToArray());

    public static void RequireFloat(Tensor image, string transform)
    {
        RequireImage(image, transform);
        if (!image.is_floating_point())
        {
            throw new ArgumentException($"{transform} expects a floating-point image; apply ToTensor() before it.", nameof(image));
        }
    }

    /// <summary>Runs <paramref name="operation"/> on a float copy of the image and converts the result back to the input's dtype.</summary>
    public static Tensor InFloat(Tensor image, Func<Tensor, Tensor> operation)
    {
        using var scope = torch.NewDisposeScope();
        if (image.is_floating_point())
        {
            return operation(image).MoveToOuterDisposeScope();
        }

        var result = operation(image.to(ScalarType.Float32));
        return result.round_().clamp_(HeldScalars.Zero, HeldScalars.PixelMax).to(image.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Like <see cref="InFloat"/>, for colour operations defined on values in [0, 1].</summary>
    public static Tensor InUnitRange(Tensor image, Func<Tensor, Tensor> operation)
    {
        using var scope = torch.NewDisposeScope();
        if (image.is_floating_point())
        {
            return operation(image).MoveToOuterDisposeScope();
        }

        var result = operation(image.to(ScalarType.Float32).div_(HeldScalars.PixelMax));
        return result.mul_(HeldScalars.PixelMax).round_().clamp_(HeldScalars.Zero, HeldScalars.PixelMax).to(image.dtype).MoveToOuterDisposeScope();
    }

    public static Tensor Resize(Tensor image, long height, long width, Interpolation interpolation) => InFloat(image, x =>
    {
        var mode = interpolation switch
        {
            Interpolation.Nearest => InterpolationMode.Nearest,
            Interpolation.Bicubic => InterpolationMode.Bicubic,
            _ => InterpolationMode.Bilinear,
        };
        var batch = x.dim() == 3 ? x.unsqueeze(0) : x;
        var resized = interpolation == Interpolation.Nearest
            ? nn.functional.interpolate(batch, [height, width], mode: mode)
            : nn.functional.interpolate(batch, [height, width], mode: mode, align_corners: false, antialias: true);
        return x.dim() == 3 ? resized.squeeze(0) : resized;
    });

    /// <summary>The region [top, top + height) x [left, left + width), zero-padded where it leaves the image.</summary>
    public static Tensor Crop(Tensor image, long top, long left, long height, long width)
    {
        var (h, w) = (image.shape[1], image.shape[2]);
        if (top >= 0 && left >= 0 && top + height <= h && left + width <= w)
        {
            using var rows = image.narrow(1, top, height);
            return rows.narrow(2, left, width).contiguous();
        }

        using var scope = torch.NewDisposeScope();
        var padLeft = Math.Max(0, -left);
        var padTop = Math.Max(0, -top);
        var padRight = Math.Max(0, left + width - w);
        var padBottom = Math.Max(0, top + height - h);
        var padded = nn.functional.pad(image, [padLeft, padRight, padTop, padBottom]);
        return padded.narrow(1, top + padTop, height).narrow(2, left + padLeft, width).contiguous().MoveToOuterDisposeScope();
    }

    public static Tensor Grayscale(Tensor image)
    {
        if (image.shape[0] == 1)
        {
            return image.clone();
        }

        return InFloat(image, x => (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]).unsqueeze(0));
    }

    /// <summary>
    /// Applies the affine map <paramref name="matrix"/> (2x2, in pixels, y down, about the image
    /// centre) and then the translation, resampling with <paramref name="interpolation"/> and
    /// filling uncovered pixels with <paramref name="fill"/>.
    /// </summary>
    public static Tensor Affine(Tensor image, double[,] matrix, double translateX, double translateY, Interpolation interpolation, double fill) => InFloat(image, x =>
    {
        var (h, w) = (x.shape[1], x.shape[2]);
        // Output pixel p maps back to input A^-1 (p - t), in pixels about the centre; in the
        // normalised coordinates of affine_grid that is D^-1 A^-1 D q - D^-1 A^-1 t, D = diag(w/2, h/2).
        var det = (matrix[0, 0] * matrix[1, 1]) - (matrix[0, 1] * matrix[1, 0]);
        if (Math.Abs(det) < 1e-12)
        {
            throw new ArgumentException("The affine transform is singular (scale 0 or a shear of 90 degrees).");
        }

        double[,] inverse = { { matrix[1, 1] / det, -matrix[0, 1] / det }, { -matrix[1, 0] / det, matrix[0, 0] / det } };
        var (hx, hy) = (w / 2.0, h / 2.0);
        var theta = torch.tensor(
            new float[]
            {
                (float)inverse[0, 0], (float)(inverse[0, 1] * hy / hx), (float)(-((inverse[0, 0] * translateX) + (inverse[0, 1] * translateY)) / hx),
                (float)(inverse[1, 0] * hx / hy), (float)inverse[1, 1], (float)(-((inverse[1, 0] * translateX) + (inverse[1, 1] * translateY)) / hy),
            },
            [1, 2, 3]).to(x.dtype);
        var grid = nn.functional.affine_grid(theta, [1, x.shape[0], h, w], align_corners: false);
        var mode = interpolation == Interpolation.Nearest ? GridSampleMode.Nearest : GridSampleMode.Bilinear;
        var batch = x.unsqueeze(0);
        var sampled = nn.functional.grid_sample(batch, grid, mode, GridSamplePaddingMode.Zeros, align_corners: false).squeeze(0);
        if (fill == 0)
        {
            return sampled;
        }

        var covered = nn.functional.grid_sample(torch.ones_like(batch), grid, mode, GridSamplePaddingMode.Zeros, align_corners: false).squeeze(0);
        return sampled + ((1 - covered) * fill);
    });

    public static double Uniform(Random random, double low, double high) => low + (random.NextDouble() * (high - low));

    /// <summary>Checks the area-share and aspect-ratio ranges of the random-rectangle transforms.</summary>
    public static void RequireAreaRanges((double Min, double Max) scale, (double Min, double Max) ratio)
    {
        if (!(scale.Min > 0 && scale.Min <= scale.Max && scale.Max <= 1) || !(ratio.Min > 0 && ratio.Min <= ratio.Max))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), $"scale must satisfy 0 < min <= max <= 1 and ratio 0 < min <= max; got scale {scale}, ratio {ratio}.");
        }
    }

    /// <summary>A rectangle's size drawn as the random-rectangle transforms do: its area uniform over <paramref name="scale"/> of <paramref name="area"/>, its aspect ratio (width / height) log-uniform over <paramref name="ratio"/>.</summary>
    public static (long Width, long Height) DrawRectangle(Random random, double area, (double Min, double Max) scale, (double Min, double Max) ratio)
    {
        var target = area * Uniform(random, scale.Min, scale.Max);
        var aspect = Math.Exp(Uniform(random, Math.Log(ratio.Min), Math.Log(ratio.Max)));
        return ((long)Math.Round(Math.Sqrt(target * aspect)), (long)Math.Round(Math.Sqrt(target / aspect)));
    }
}
