using Microsoft.Extensions.Logging;

namespace CnnClassify.Data;

/// <summary>
/// How <see cref="LabeledImageDataset.FromCsv"/> reads a label table: which columns hold the image
/// path and its labels, how labels are separated, and how images are decoded and checked.
/// </summary>
public sealed record LabelTableOptions
{
    /// <summary>The folder image paths are relative to; <see langword="null"/> for the table's own folder.</summary>
    public string? ImageRoot { get; init; }

    /// <summary>The column separator; <see langword="null"/> for a tab in <c>.tsv</c> files and a comma otherwise.</summary>
    public char? Separator { get; init; }

    /// <summary>Whether the first row names the columns (the default); without it, columns are chosen by position.</summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>The column of image paths by name; <see langword="null"/> for <see cref="PathColumnIndex"/>.</summary>
    public string? PathColumn { get; init; }

    /// <summary>The column of image paths by zero-based position, when <see cref="PathColumn"/> is not given: 0 by default.</summary>
    public int PathColumnIndex { get; init; }

    /// <summary>The column of labels by name; <see langword="null"/> for <see cref="LabelColumnIndex"/>.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>The column of labels by zero-based position, when <see cref="LabelColumn"/> is not given: 1 by default.</summary>
    public int LabelColumnIndex { get; init; } = 1;

    /// <summary>
    /// The character between a row's labels, such as a space or <c>;</c>; <see langword="null"/> (the
    /// default) reads the whole cell as one label. Labels are trimmed of surrounding white space.
    /// </summary>
    public char? LabelSeparator { get; init; }

    /// <summary>
    /// Whether the data is multi-label; <see langword="null"/> (the default) makes it multi-label
    /// when some row holds several labels. A multi-label row may hold none; a single-label row
    /// without a label is left out as empty.
    /// </summary>
    public bool? MultiLabel { get; init; }

    /// <summary>The classes in label order; <see langword="null"/> takes the labels found, in ordinal order. A label outside a given list is a row problem.</summary>
    public IReadOnlyList<string>? Classes { get; init; }

    /// <summary>
    /// When <see langword="false"/> (the default), rows that cannot be used (a missing or unreadable
    /// image, an empty or unknown label) are left out with a warning naming each and a count; when
    /// <see langword="true"/>, the first such row is an error.
    /// </summary>
    public bool Strict { get; init; }

    /// <summary>RGB (3 channels, the default) or grayscale (1 channel).</summary>
    public ColorMode ColorMode { get; init; } = ColorMode.Rgb;

    /// <summary>Largest width x height accepted; larger images are refused before decoding.</summary>
    public long MaxPixels { get; init; } = ImageDecoder.DefaultMaxPixels;

    /// <summary>The smallest image the first resize needs (see <see cref="ImageFolderOptions.DecodeSize"/>); <see langword="null"/> decodes at full size.</summary>
    public DecodeSize? DecodeSize { get; init; }

    /// <summary>Whether to turn photos upright by their EXIF orientation.</summary>
    public bool ApplyExifOrientation { get; init; }

    /// <summary>Receives the warnings about rows left out; <see langword="null"/> for <see cref="CnnClassifyLogging.LoggerFactory"/>'s.</summary>
    public ILogger? Logger { get; init; }
}
