using SixLabors.ImageSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data;

/// <summary>
/// Decodes JPEG, PNG, BMP, GIF and TIFF (first frame only) and still WebP files with
/// SixLabors.ImageSharp into <c>uint8</c> tensors of shape [channels, height, width], refusing files
/// that are empty, not images, damaged, JPEGs cut short (as PIL does), or larger than
/// <see cref="MaxPixels"/>. Safe to use from several threads.
/// </summary>
public sealed class ImageDecoder
{
    /// <summary>The default pixel limit: 89,478,485, as Pillow's decompression-bomb guard.</summary>
    public const long DefaultMaxPixels = 89_478_485;

    private readonly PixelDecoder _pixels;

    /// <summary>Creates a decoder.</summary>
    /// <param name="colorMode">RGB (3 channels) or grayscale (1 channel).</param>
    /// <param name="maxPixels">Largest width x height accepted, checked from the header before decoding.</param>
    /// <param name="decodeSize">
    /// The smallest image the pipeline's first resize needs: RGB JPEGs are then decoded by
    /// libjpeg-turbo at the smallest M/8 scale that covers it (see <see cref="Data.DecodeSize"/>);
    /// <see langword="null"/> decodes every image at full size.
    /// </param>
    /// <param name="applyExifOrientation">
    /// Whether to turn images upright by their EXIF orientation, as PIL's <c>ImageOps.exif_transpose</c>;
    /// off by default, as in torchvision, which reads the stored pixels as they are.
    /// </param>
    public ImageDecoder(ColorMode colorMode = ColorMode.Rgb, long maxPixels = DefaultMaxPixels, DecodeSize? decodeSize = null, bool applyExifOrientation = false)
    {
        _pixels = new PixelDecoder(colorMode, maxPixels) { ApplyExifOrientation = applyExifOrientation };
        DecodeSize = decodeSize;
        ApplyExifOrientation = applyExifOrientation;
    }

    /// <summary>The size the first resize needs, which JPEGs are decoded down to; <see langword="null"/> for full size.</summary>
    public DecodeSize? DecodeSize { get; }

    /// <summary>Whether images are turned upright by their EXIF orientation.</summary>
    public bool ApplyExifOrientation { get; }

    /// <summary>The channels produced.</summary>
    public ColorMode ColorMode => _pixels.ColorMode;

    /// <summary>Largest width x height accepted.</summary>
    public long MaxPixels => _pixels.MaxPixels;

    /// <summary>Reads a file's header and checks that it is an image within the size limit.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The image's width and height.</returns>
    /// <exception cref="InvalidImageException">The file is empty, not a supported image, or too large.</exception>
    public (int Width, int Height) Check(string path) => _pixels.Check(path);

    /// <summary>Decodes an image file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>A <c>uint8</c> tensor [C, H, W]; the caller disposes it.</returns>
    /// <exception cref="InvalidImageException">The file cannot be used; the message names it and says why.</exception>
    public Tensor Decode(string path)
    {
        if (!UsesLibJpeg)
        {
            return ToTensor(_pixels.Decode(path));
        }

        using var stream = PixelDecoder.Open(path);
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
        if (UsesLibJpeg && IsJpeg(stream))
        {
            if (stream.Length - stream.Position > MaxFileBytes)
            {
                throw new InvalidImageException(sourceName, $"the file is larger than {MaxFileBytes / (1024 * 1024)} MiB");
            }

            PixelDecoder.RequireComplete(stream, sourceName);
            try
            {
                return JpegScaledDecoder.Decode(stream, sourceName, DecodeSize, MaxPixels, ApplyExifOrientation);
            }
            catch (Exception ex) when (ex is not (InvalidImageException or OperationCanceledException))
            {
                throw new InvalidImageException(sourceName, $"it cannot be decoded ({ex.GetType().Name}: {ex.Message})", ex);
            }
        }

        return ToTensor(_pixels.Decode(stream, sourceName));
    }

    /// <summary>The largest JPEG file read through libjpeg-turbo: 1 GiB.</summary>
    private const long MaxFileBytes = 1L << 30;

    /// <summary>Whether RGB JPEGs go through libjpeg-turbo (for scaled decoding or orientation) rather than ImageSharp.</summary>
    private bool UsesLibJpeg => ColorMode == ColorMode.Rgb && (DecodeSize is not null || ApplyExifOrientation);

    private static bool IsJpeg(Stream stream)
    {
        Span<byte> header = stackalloc byte[3];
        var start = stream.Position;
        var read = stream.ReadAtLeast(header, 3, throwOnEndOfStream: false);
        stream.Position = start;
        return read == 3 && JpegScaledDecoder.IsJpeg(header);
    }

    /// <summary>Converts a decoded ImageSharp image into a <c>uint8</c> tensor [C, H, W] in this decoder's color mode.</summary>
    /// <param name="image">The image; it is not disposed.</param>
    public Tensor FromImage(Image image) => ToTensor(_pixels.FromImage(image));

    private static Tensor ToTensor(PixelImage image)
    {
        if (image.Channels == 1)
        {
            return torch.tensor(image.Data, [1, image.Height, image.Width], ScalarType.Byte);
        }

        // Every intermediate is held by a local until the end: a temporary that nothing references
        // can be finalized (and its native tensor freed) while a native call still reads it.
        using var hwc = torch.tensor(image.Data, [image.Height, image.Width, image.Channels], ScalarType.Byte);
        using var chw = hwc.permute(2, 0, 1);
        return chw.contiguous();
    }
}
