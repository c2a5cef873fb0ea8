using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// Crops the centre of an image to a fixed size, padding with zeros if the image is smaller. An odd
/// margin starts where torchvision's <c>CenterCrop</c> starts it (half the margin, rounded half to even).
/// </summary>
public sealed class CenterCrop : IImageTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="height">Output height, at least 1.</param>
    /// <param name="width">Output width; <see langword="null"/> means square.</param>
    public CenterCrop(long height, long? width = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Height = height;
        Width = width ?? height;
        ArgumentOutOfRangeException.ThrowIfLessThan(Width, 1, nameof(width));
    }

    /// <summary>Output height.</summary>
    public long Height { get; }

    /// <summary>Output width.</summary>
    public long Width { get; }

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(CenterCrop));
        return ImageOps.Crop(image, CenterCropOffset.Of(image.shape[1], Height), CenterCropOffset.Of(image.shape[2], Width), Height, Width);
    }
}
