using Microsoft.Extensions.Logging;

namespace CnnClassify.Data;

/// <summary>Options for <see cref="ImageFolderDataset"/>.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>RGB (3 channels, the default) or grayscale (1 channel).</summary>
    public ColorMode ColorMode { get; init; } = ColorMode.Rgb;

    /// <summary>
    /// When <see langword="false"/> (the default), files that cannot be used are left out with a
    /// warning naming each; when <see langword="true"/>, the first such file is an error.
    /// </summary>
    public bool Strict { get; init; }

    /// <summary>Largest width x height accepted; larger images are refused before decoding.</summary>
    public long MaxPixels { get; init; } = ImageDecoder.DefaultMaxPixels;

    /// <summary>File extensions read, case-insensitive, with the dot.</summary>
    public IReadOnlyCollection<string> Extensions { get; init; } = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    /// <summary>Receives the warnings about skipped files; <see langword="null"/> for <see cref="CnnClassifyLogging.LoggerFactory"/>'s.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// The smallest image the first resize of the pipeline needs, such as
    /// <c>DecodeSize.ShortSide(256)</c> before <c>Resize(256)</c>: RGB JPEGs are then decoded by
    /// libjpeg-turbo at the smallest M/8 scale that covers it, which for phone photos is 10 to 30
    /// times less work. <see langword="null"/> (the default) decodes every image at full size.
    /// </summary>
    public DecodeSize? DecodeSize { get; init; }

    /// <summary>
    /// Whether to turn photos upright by their EXIF orientation, as PIL's <c>ImageOps.exif_transpose</c>.
    /// Off by default, as in torchvision's <c>ImageFolder</c>, which reads the stored pixels as they are.
    /// </summary>
    public bool ApplyExifOrientation { get; init; }

    /// <summary>
    /// Whether links to files and folders outside the image folder are followed (cycles are still
    /// refused); off by default, when such a link is an error naming it. A link back into the
    /// image folder is always an error, since it would read images twice.
    /// </summary>
    public bool FollowLinks { get; init; }
}
