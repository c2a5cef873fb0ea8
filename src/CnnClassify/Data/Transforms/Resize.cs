using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// Resizes an image: to <c>size</c> on its shorter side keeping the aspect ratio, or to an exact
/// height and width. Bilinear with antialiasing by default, as torchvision's <c>Resize</c>.
/// </summary>
public sealed class Resize : IBatchTransform
{
    private readonly long? _height;
    private readonly long? _width;
    private readonly long? _shorterSide;

    /// <summary>Resizes the shorter side to <paramref name="shorterSide"/>, keeping the aspect ratio.</summary>
    /// <param name="shorterSide">Target length of the shorter side, at least 1.</param>
    /// <param name="interpolation">The resampling method.</param>
    public Resize(long shorterSide, Interpolation interpolation = Interpolation.Bilinear)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shorterSide, 1);
        _shorterSide = shorterSide;
        Interpolation = interpolation;
    }

    /// <summary>Resizes to exactly <paramref name="height"/> x <paramref name="width"/>.</summary>
    /// <param name="height">Target height, at least 1.</param>
    /// <param name="width">Target width, at least 1.</param>
    /// <param name="interpolation">The resampling method.</param>
    public Resize(long height, long width, Interpolation interpolation = Interpolation.Bilinear)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        (_height, _width) = (height, width);
        Interpolation = interpolation;
    }

    /// <summary>The resampling method.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>The target length of the shorter side, or <see langword="null"/> for an exact size.</summary>
    public long? ShorterSide => _shorterSide;

    /// <summary>The exact target height, or <see langword="null"/> when the shorter side is resized.</summary>
    public long? Height => _height;

    /// <summary>The exact target width, or <see langword="null"/> when the shorter side is resized.</summary>
    public long? Width => _width;

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(Resize));
        var (h, w) = (image.shape[1], image.shape[2]);
        var (height, width) = Target(h, w);
        return height == h && width == w ? image.clone() : ImageOps.Resize(image, height, width, Interpolation);
    }

    /// <inheritdoc />
    public Tensor ApplyBatch(Tensor images, IReadOnlyList<Random> randoms)
    {
        ImageOps.RequireBatch(images, randoms, nameof(Resize));
        var (h, w) = (images.shape[2], images.shape[3]);
        var (height, width) = Target(h, w);
        return height == h && width == w ? images.clone() : ImageOps.Resize(images, height, width, Interpolation);
    }

    private (long Height, long Width) Target(long h, long w) => _shorterSide is { } side
        ? h <= w ? (side, Math.Max(1, (long)(side * (double)w / h))) : (Math.Max(1, (long)(side * (double)h / w)), side)
        : (_height!.Value, _width!.Value);
}
