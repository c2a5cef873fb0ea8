using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace CnnClassify.Data;

/// <summary>An image's pixels as bytes in height, width, channel order (what ImageSharp stores).</summary>
/// <param name="Channels">1 (luminance) or 3 (red, green, blue).</param>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
/// <param name="Data">Height x width x channels bytes.</param>
internal sealed record PixelImage(int Channels, int Height, int Width, byte[] Data);

/// <summary>
/// Decodes JPEG, PNG, BMP, GIF (first frame only), TIFF and WebP (one page or still image only)
/// with SixLabors.ImageSharp into pixels, refusing files that are empty, not images, damaged, JPEGs
/// cut short, multi-page, or larger than a pixel limit: the one
/// decoder behind both the LibTorch and the ONNX Runtime predictors, so that both see the same
/// pixels. Safe to use from several threads.
/// </summary>
internal sealed class PixelDecoder
{
    private readonly Configuration _configuration;

    public PixelDecoder(ColorMode colorMode, long maxPixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPixels, 1);
        ColorMode = colorMode;
        MaxPixels = maxPixels;
        _configuration = Configuration.Default.Clone();
        // One image is expected: later frames and pages, whatever their size, are never decoded.
        _configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        _configuration.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
    }

    public ColorMode ColorMode { get; }

    /// <summary>Whether images are turned upright by their EXIF orientation (ImageSharp's AutoOrient).</summary>
    public bool ApplyExifOrientation { get; init; }

    public long MaxPixels { get; }

    public (int Width, int Height) Check(string path)
    {
        using var stream = Open(path);
        return Check(stream, path);
    }

    public PixelImage Decode(string path)
    {
        using var stream = Open(path);
        return Decode(stream, path);
    }

    public PixelImage Decode(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var start = stream.Position;
        Check(stream, sourceName);
        stream.Position = start;
        RequireComplete(stream, sourceName);
        try
        {
            if (ColorMode == ColorMode.Grayscale)
            {
                using var gray = Image.Load<L8>(_configuration, stream);
                return Pixels(Orient(gray), 1);
            }

            using var rgb = Image.Load<Rgb24>(_configuration, stream);
            return Pixels(Orient(rgb), 3);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Any failure inside the decoder means this file is unusable, whatever the decoder calls it.
            throw new InvalidImageException(sourceName, $"it cannot be decoded ({ex.GetType().Name}: {ex.Message})", ex);
        }
    }

    public PixelImage FromImage(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (ColorMode == ColorMode.Grayscale)
        {
            using var gray = image.CloneAs<L8>();
            return Pixels(gray, 1);
        }

        using var rgb = image.CloneAs<Rgb24>();
        return Pixels(rgb, 3);
    }

    public (int Width, int Height) Check(Stream stream, string sourceName)
    {
        if (stream.Length - stream.Position == 0)
        {
            throw new InvalidImageException(sourceName, "the file is empty");
        }

        var begin = stream.Position;
        IImageInfo? info;
        SixLabors.ImageSharp.Formats.IImageFormat? format;
        try
        {
            info = Image.Identify(_configuration, stream, out format);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InvalidImageException(sourceName, $"its header cannot be read ({ex.GetType().Name}: {ex.Message})", ex);
        }

        if (info is null)
        {
            throw new InvalidImageException(sourceName, "it is not a JPEG, PNG, BMP, GIF, TIFF or WebP image");
        }

        if (format is TiffFormat)
        {
            var end = stream.Position;
            stream.Position = begin;
            var pages = TiffPages.Count(stream);
            stream.Position = end;
            if (pages > 1)
            {
                throw new InvalidImageException(sourceName, $"it is a TIFF of {pages} pages; one image is expected");
            }
        }

        if (IsAnimatedWebp(stream, begin))
        {
            throw new InvalidImageException(sourceName, "it is an animated WebP; one still image is expected");
        }

        if (info.Width < 1 || info.Height < 1 || (long)info.Width * info.Height > MaxPixels)
        {
            throw new InvalidImageException(sourceName, $"its size {info.Width}x{info.Height} is outside 1 to {MaxPixels:N0} pixels (a decompression bomb guard; raise MaxPixels to allow it)") { ExceedsPixelLimit = true };
        }

        return (info.Width, info.Height);
    }

    /// <summary>Throws when the stream holds a JPEG that ends before its image does.</summary>
    public static void RequireComplete(Stream stream, string sourceName)
    {
        Span<byte> magic = stackalloc byte[3];
        var start = stream.Position;
        var read = stream.ReadAtLeast(magic, 3, throwOnEndOfStream: false);
        stream.Position = start;
        if (read == 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF && !JpegCompleteness.IsComplete(stream))
        {
            throw new InvalidImageException(sourceName, "the JPEG is truncated: its data ends before its end-of-image marker (PIL refuses such files too)");
        }
    }

    // A WebP whose extended header (VP8X) sets the animation flag.
    private static bool IsAnimatedWebp(Stream stream, long begin)
    {
        Span<byte> header = stackalloc byte[21];
        var start = stream.Position;
        stream.Position = begin;
        var read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        stream.Position = start;
        return read == header.Length && header[..4].SequenceEqual("RIFF"u8) && header[8..12].SequenceEqual("WEBP"u8)
            && header[12..16].SequenceEqual("VP8X"u8) && (header[20] & 0x02) != 0;
    }

    private Image<TPixel> Orient<TPixel>(Image<TPixel> image)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        if (ApplyExifOrientation)
        {
            image.Mutate(x => x.AutoOrient());
        }

        return image;
    }

    private static PixelImage Pixels<TPixel>(Image<TPixel> image, int channels)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var data = new byte[image.Width * image.Height * channels];
        image.CopyPixelDataTo(data);
        return new PixelImage(channels, image.Height, image.Width, data);
    }

    /// <summary>Opens <paramref name="path"/> for reading, as an <see cref="InvalidImageException"/> when it cannot be.</summary>
    public static FileStream Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return File.OpenRead(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidImageException(path, $"it cannot be opened ({ex.Message})", ex);
        }
    }
}
