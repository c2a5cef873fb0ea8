using SixLabors.ImageSharp;
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

    private readonly PixelDecoder _pixels;

    /// <summary>Creates a decoder.</summary>
    /// <param name="colorMode">RGB (3 channels) or grayscale (1 channel).</param>
    /// <param name="maxPixels">Largest width x height accepted, checked from the header before decoding.</param>
    public ImageDecoder(ColorMode colorMode = ColorMode.Rgb, long maxPixels = DefaultMaxPixels) =>
        _pixels = new PixelDecoder(colorMode, maxPixels);

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
    public Tensor Decode(string path) => ToTensor(_pixels.Decode(path));

    /// <summary>Decodes an image from a stream.</summary>
    /// <param name="stream">A seekable stream positioned at the image.</param>
    /// <param name="sourceName">A name for messages.</param>
    /// <returns>A <c>uint8</c> tensor [C, H, W]; the caller disposes it.</returns>
    /// <exception cref="InvalidImageException">The data cannot be used.</exception>
    public Tensor Decode(Stream stream, string sourceName) => ToTensor(_pixels.Decode(stream, sourceName));

    /// <summary>Converts a decoded ImageSharp image into a <c>uint8</c> tensor [C, H, W] in this decoder's color mode.</summary>
    /// <param name="image">The image; it is not disposed.</param>
    public Tensor FromImage(Image image) => ToTensor(_pixels.FromImage(image));

    private static Tensor ToTensor(PixelImage image)
    {
        if (image.Channels == 1)
        {
            return torch.tensor(image.Data, [1, image.Height, image.Width], ScalarType.Byte);
        }

        using var hwc = torch.tensor(image.Data, [image.Height, image.Width, image.Channels], ScalarType.Byte);
        return hwc.permute(2, 0, 1).contiguous();
    }
}
