using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// Crops a random region whose area and aspect ratio are drawn from ranges, then resizes it to a
/// square: the standard ImageNet training augmentation. After ten failed draws it falls back to
/// the largest central crop within the ratio range, as torchvision does.
/// </summary>
public sealed class RandomResizedCrop : IImageTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="size">Output height and width, at least 1.</param>
    /// <param name="scale">Range of the crop's area as a share of the image's, within (0, 1].</param>
    /// <param name="ratio">Range of the crop's width / height.</param>
    /// <param name="interpolation">The resampling method.</param>
    public RandomResizedCrop(long size, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null, Interpolation interpolation = Interpolation.Bilinear)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Size = size;
        Scale = scale ?? (0.08, 1.0);
        Ratio = ratio ?? (3.0 / 4.0, 4.0 / 3.0);
        ImageOps.RequireAreaRanges(Scale, Ratio);

        Interpolation = interpolation;
    }

    /// <summary>Output height and width.</summary>
    public long Size { get; }

    /// <summary>Range of the crop's area as a share of the image's.</summary>
    public (double Min, double Max) Scale { get; }

    /// <summary>Range of the crop's width / height.</summary>
    public (double Min, double Max) Ratio { get; }

    /// <summary>The resampling method.</summary>
    public Interpolation Interpolation { get; }

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(RandomResizedCrop));
        var (top, left, height, width) = Region(image.shape[1], image.shape[2], random);
        using var crop = ImageOps.Crop(image, top, left, height, width);
        return ImageOps.Resize(crop, Size, Size, Interpolation);
    }

    private (long Top, long Left, long Height, long Width) Region(long h, long w, Random random)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var (width, height) = ImageOps.DrawRectangle(random, (double)h * w, Scale, Ratio);
            if (width > 0 && height > 0 && width <= w && height <= h)
            {
                return (random.NextInt64(h - height + 1), random.NextInt64(w - width + 1), height, width);
            }
        }

        var ratio = (double)w / h;
        var (cropHeight, cropWidth) = ratio < Ratio.Min ? ((long)Math.Round(w / Ratio.Min), w)
            : ratio > Ratio.Max ? (h, (long)Math.Round(h * Ratio.Max))
            : (h, w);
        return ((h - cropHeight) / 2, (w - cropWidth) / 2, cropHeight, cropWidth);
    }
}
