namespace CnnClassify.Data;

/// <summary>
/// The smallest image a pipeline's first resize needs, so that a JPEG can be decoded at 1/2, 1/4
/// or 1/8 of its size (libjpeg's DCT-domain scaling, PIL's <c>draft</c> mode) and still be
/// reduced, never enlarged, by that resize. Give the same numbers as the first
/// <c>Resize</c>: <see cref="ShortSide"/> for <c>Resize(256)</c>, <see cref="Box"/> for
/// <c>Resize(224, 224)</c>.
/// </summary>
public sealed record DecodeSize
{
    private DecodeSize(int shortSide, int width, int height) => (ShortSideLength, Width, Height) = (shortSide, width, height);

    /// <summary>The shorter side the resize produces, or 0 for a box.</summary>
    public int ShortSideLength { get; }

    /// <summary>The width the resize produces, or 0 for a short side.</summary>
    public int Width { get; }

    /// <summary>The height the resize produces, or 0 for a short side.</summary>
    public int Height { get; }

    /// <summary>For a resize of the shorter side to <paramref name="length"/> pixels, keeping the aspect ratio.</summary>
    /// <param name="length">The shorter side after the resize, at least 1.</param>
    public static DecodeSize ShortSide(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        return new DecodeSize(length, 0, 0);
    }

    /// <summary>For a resize to exactly <paramref name="width"/> x <paramref name="height"/>.</summary>
    /// <param name="height">The height after the resize, at least 1.</param>
    /// <param name="width">The width after the resize, at least 1.</param>
    public static DecodeSize Box(int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        return new DecodeSize(0, width, height);
    }

    /// <summary>Whether an image of <paramref name="width"/> x <paramref name="height"/> is large enough.</summary>
    internal bool IsCoveredBy(int width, int height) =>
        ShortSideLength > 0 ? Math.Min(width, height) >= ShortSideLength : width >= Width && height >= Height;

    /// <inheritdoc />
    public override string ToString() => ShortSideLength > 0 ? $"shorter side {ShortSideLength}" : $"{Width}x{Height}";
}
