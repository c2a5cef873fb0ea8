using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data;

/// <summary>
/// Decodes JPEG, PNG, BMP, GIF (first frame) and WebP files with SixLabors.ImageSharp into
/// <c>uint8</c> tensors of shape [channels, height, width], refusing files that are empty, not
/// images, damaged, or larger than <see cref="MaxPixels"/>. Safe to use from several threads.
/// </summary>
public sealed class ImageDecoder
{
    /// <summary>The default pixel limit: 89,478,485, as Pillow's decompression-bomb guard.</summary>
    public const long DefaultMaxPixels = 89_478_485;

    private readonly Configuration _configuration;

    /// <summary>Creates a decoder.</summary>
    /// <param name="colorMode">RGB (3 channels) or grayscale (1 channel).</param>
    /// <param name="maxPixels">Largest width x height accepted, checked from the header before decoding.</param>
    public ImageDecoder(ColorMode colorMode = ColorMode.Rgb, long maxPixels = DefaultMaxPixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPixels, 1);
        ColorMode = colorMode;
        MaxPixels = maxPixels;
        _configuration = Configuration.Default.Clone();
        _configuration.ImageFormatsManager.SetDecoder(
            SixLabors.ImageSharp.Formats.Gif.GifFormat.Instance,
            new GifDecoder { DecodingMode = FrameDecodingMode.First });
    }

    /// <summary>The channels produced.</summary>
    public ColorMode ColorMode { get; }

    /// <summary>Largest width x height accepted.</summary>
    public long MaxPixels { get; }

    /// <summary>Reads a file's header and checks that it is an image within the size limit.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The image's width and height.</returns>
    /// <exception cref="InvalidImageException">The file is empty, not a supported image, or too large.</exception>
    public (int Width, int Height) Check(string path)
    {
        using var stream = Open(path);
        return Check(stream, path);
    }

    /// <summary>Decodes an image file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>A <c>uint8</c> tensor [C, H, W]; the caller disposes it.</returns>
    /// <exception cref="InvalidImageException">The file cannot be used; the message names it and says why.</exception>
    public Tensor Decode(string path)
    {
        using var stream = Open(path);
        return Decode(stream, path);
    }

    /// <summary>Decodes an image from a stream.</summary>
    /// <param name="stream">A seekable stream positioned at the image.</param>
    /// <param name="sourceName">A name for messages.</param>
    /// <returns>A <c>uint8</c> tensor [C, H, W]; the caller disposes it.</returns>
    /// <exception cref="InvalidImageException">The data cannot be used.</exception>
    public Tensor Decode(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var start = stream.Position;
        Check(stream, sourceName);
        stream.Position = start;
        try
        {
            if (ColorMode == ColorMode.Grayscale)
            {
                using var gray = Image.Load<L8>(_configuration, stream);
                return ToTensor(gray);
            }

            using var rgb = Image.Load<Rgb24>(_configuration, stream);
            return ToTensor(rgb);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Any failure inside the decoder means this file is unusable, whatever the decoder calls it.
            throw new InvalidImageException(sourceName, $"it cannot be decoded ({ex.GetType().Name}: {ex.Message})", ex);
        }
    }

    /// <summary>Converts a decoded ImageSharp image into a <c>uint8</c> tensor [C, H, W] in this decoder's color mode.</summary>
    /// <param name="image">The image; it is not disposed.</param>
    public Tensor FromImage(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (ColorMode == ColorMode.Grayscale)
        {
            using var gray = image.CloneAs<L8>();
            return ToTensor(gray);
        }

        using var rgb = image.CloneAs<Rgb24>();
        return ToTensor(rgb);
    }

    private static Tensor ToTensor(Image<L8> image)
    {
        var pixels = new byte[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return torch.tensor(pixels, [1, image.Height, image.Width], ScalarType.Byte);
    }

    private static Tensor ToTensor(Image<Rgb24> image)
    {
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(pixels);
        using var hwc = torch.tensor(pixels, [image.Height, image.Width, 3], ScalarType.Byte);
        return hwc.permute(2, 0, 1).contiguous();
    }

    private (int Width, int Height) Check(Stream stream, string sourceName)
    {
        if (stream.Length - stream.Position == 0)
        {
            throw new InvalidImageException(sourceName, "the file is empty");
        }

        IImageInfo? info;
        try
        {
            info = Image.Identify(_configuration, stream);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InvalidImageException(sourceName, $"its header cannot be read ({ex.GetType().Name}: {ex.Message})", ex);
        }

        if (info is null)
        {
            throw new InvalidImageException(sourceName, "it is not a JPEG, PNG, BMP, GIF or WebP image");
        }

        if (info.Width < 1 || info.Height < 1 || (long)info.Width * info.Height > MaxPixels)
        {
            throw new InvalidImageException(sourceName, $"its size {info.Width}x{info.Height} is outside 1 to {MaxPixels:N0} pixels (a decompression bomb guard; raise MaxPixels to allow it)");
        }

        return (info.Width, info.Height);
    }

    private static FileStream Open(string path)
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
