using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>Crops the centre of an image to a fixed size, padding with zeros if the image is smaller.</summary>
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
        var top = (long)Math.Round((image.shape[1] - Height) / 2.0, MidpointRounding.AwayFromZero);
        var left = (long)Math.Round((image.shape[2] - Width) / 2.0, MidpointRounding.AwayFromZero);
        return ImageOps.Crop(image, top, left, Height, Width);
    }
}
