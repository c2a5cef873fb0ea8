using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// Crops a random region of a fixed size, after padding each side with zeros by
/// <see cref="Padding"/> pixels: the CIFAR augmentation <c>RandomCrop(32, padding: 4)</c>.
/// </summary>
public sealed class RandomCrop : IBatchTransform
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
        var (top, left) = Draw(image.shape[1], image.shape[2], random, nameof(image));
        return ImageOps.Crop(image, top, left, Size, Size);
    }

    /// <inheritdoc />
    public Tensor ApplyBatch(Tensor images, IReadOnlyList<Random> randoms)
    {
        ImageOps.RequireBatch(images, randoms, nameof(RandomCrop));
        var windows = randoms.Select(random => Draw(images.shape[2], images.shape[3], random, nameof(images))).ToList();
        using var scope = torch.NewDisposeScope();
        var padded = Padding == 0 ? images : nn.functional.pad(images, [Padding, Padding, Padding, Padding]);
        var tops = windows.Select(w => w.Top + Padding).ToArray();
        var lefts = windows.Select(w => w.Left + Padding).ToArray();
        return ImageOps.CropEach(padded, tops, lefts, Size, Size).MoveToOuterDisposeScope();
    }

    /// <summary>The window's corner in the unpadded image, drawn as torchvision draws it.</summary>
    private (long Top, long Left) Draw(long height, long width, Random random, string parameter)
    {
        var (h, w) = (height + (2 * Padding), width + (2 * Padding));
        if (h < Size || w < Size)
        {
            throw new ArgumentException($"RandomCrop({Size}, padding: {Padding}) needs an image of at least {Size - (2 * Padding)}x{Size - (2 * Padding)}; got {height}x{width}.", parameter);
        }

        var top = random.NextInt64(h - Size + 1) - Padding;
        var left = random.NextInt64(w - Size + 1) - Padding;
        return (top, left);
    }
}
