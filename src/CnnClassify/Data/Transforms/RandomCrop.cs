using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// Crops a random region of a fixed size, after padding each side with zeros by
/// <see cref="Padding"/> pixels: the CIFAR augmentation <c>RandomCrop(32, padding: 4)</c>.
/// </summary>
public sealed class RandomCrop : IImageTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="size">Output height and width, at least 1.</param>
    /// <param name="padding">Zero padding added to each side first, at least 0.</param>
    public RandomCrop(long size, long padding = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Size = size;
        Padding = padding;
    }

    /// <summary>Output height and width.</summary>
    public long Size { get; }

    /// <summary>Zero padding added to each side before cropping.</summary>
    public long Padding { get; }

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(RandomCrop));
        var (h, w) = (image.shape[1] + (2 * Padding), image.shape[2] + (2 * Padding));
        if (h < Size || w < Size)
        {
            throw new ArgumentException($"RandomCrop({Size}, padding: {Padding}) needs an image of at least {Size - (2 * Padding)}x{Size - (2 * Padding)}; got {image.shape[1]}x{image.shape[2]}.", nameof(image));
        }

        var top = random.NextInt64(h - Size + 1) - Padding;
        var left = random.NextInt64(w - Size + 1) - Padding;
        return ImageOps.Crop(image, top, left, Size, Size);
    }
}
