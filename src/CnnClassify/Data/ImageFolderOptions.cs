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
}
