using Microsoft.Extensions.Logging;

namespace CnnClassify.Data;

/// <summary>
/// Images arranged one folder per class, <c>root/CLASS/IMAGE</c>, as torchvision's
/// <c>ImageFolder</c> reads them. Class names are the folder names in ordinal order.
/// </summary>
/// <remarks>
/// Links are not followed out of the folder unless <see cref="ImageFolderOptions.FollowLinks"/>
/// asks, and a link back into it (or around a cycle) is an error, so no file is read twice.
/// Every file's header is checked when the dataset is created: empty files, files that are not
/// images and images above the pixel limit are left out with a warning (or, in strict mode, are an
/// error). A file that passes the check but fails to decode later, such as a truncated one,
/// raises <see cref="InvalidImageException"/> from <see cref="Read"/>; the data loader skips it.
/// </remarks>
public sealed partial class ImageFolderDataset : IImageDataset
{
    private readonly List<(string Path, long Label)> _samples = [];
    private readonly ImageDecoder _decoder;

    /// <summary>Scans <paramref name="root"/> and checks every image's header.</summary>
    /// <param name="root">The folder holding one subfolder per class.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="DirectoryNotFoundException">The root does not exist.</exception>
    /// <exception cref="InvalidDataException">A link leads back into the folder or (unless followed) out of it, the root has no class folders, holds folders named like data splits (<c>train</c>, <c>val</c>, <c>test</c>, ...) that would become classes, or a class folder has no usable image; the message names the folder.</exception>
    /// <exception cref="InvalidImageException">(Strict mode) a file cannot be used.</exception>
    public ImageFolderDataset(string root, ImageFolderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Options = options ?? new ImageFolderOptions();
        if (!Directory.Exists(root))
        {
            throw File.Exists(root)
                ? new InvalidDataException($"Image folder '{root}' is a file; give the folder that holds one subfolder per class.")
                : new DirectoryNotFoundException($"Image folder '{root}' does not exist.");
        }

        Root = root;
        _decoder = new ImageDecoder(Options.ColorMode, Options.MaxPixels, Options.DecodeSize, Options.ApplyExifOrientation);
        var extensions = new HashSet<string>(Options.Extensions, StringComparer.OrdinalIgnoreCase);
        var classFolders = Directory.GetDirectories(root).Order(StringComparer.Ordinal).ToList();
        if (classFolders.Count == 0)
        {
            throw new InvalidDataException($"Image folder '{root}' has no class subfolders; expected {root}/CLASS/IMAGE files.");
        }

        var splits = classFolders.Select(Path.GetFileName).Where(name => SplitNames.Contains(name!)).ToList();
        if (splits.Count > 0)
        {
            throw new InvalidDataException(
                $"Image folder '{root}' holds folders named like data splits ({string.Join(", ", splits)}) beside its class folders, so they would become classes. " +
                $"Give each split its own folder of class folders (ROOT/train/CLASS/IMAGE, ROOT/test/CLASS/IMAGE) and point at one of them, such as '{Path.Combine(root, splits[0]!)}'.");
        }

        var skipped = new List<(string, string)>();
        Classes = classFolders.Select(Path.GetFileName).ToList()!;
        foreach (var folder in classFolders)
        {
            var nested = Directory.GetDirectories(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            if (nested.Count > 0)
            {
                LogNested(Options.Logger ?? CnnClassifyLogging.For<ImageFolderDataset>(), folder, string.Join(", ", nested), Path.GetFileName(folder));
            }
        }

        var walk = new ImageFolderWalk(root, Options.FollowLinks);
        for (var label = 0; label < classFolders.Count; label++)
        {
            var before = _samples.Count;
            foreach (var file in walk.Files(classFolders[label]))
            {
                if (!extensions.Contains(Path.GetExtension(file)))
                {
                    continue;
                }

                try
                {
                    _decoder.Check(file);
                    _samples.Add((file, label));
                }
                catch (InvalidImageException ex) when (!Options.Strict)
                {
                    skipped.Add((file, ex.Reason));
                    LogSkipped(Options.Logger ?? CnnClassifyLogging.For<ImageFolderDataset>(), file, ex.Reason);
                }
            }

            if (_samples.Count == before)
            {
                throw new InvalidDataException($"Class folder '{classFolders[label]}' has no usable image with extension {string.Join(", ", Options.Extensions)}.");
            }
        }

        Skipped = skipped;
    }

    /// <summary>The root folder.</summary>
    public string Root { get; }

    /// <summary>The options in use.</summary>
    public ImageFolderOptions Options { get; }

    /// <summary>Files left out when the dataset was created, with the reason.</summary>
    public IReadOnlyList<(string Path, string Reason)> Skipped { get; }

    /// <summary>The image files, in sample order.</summary>
    public IReadOnlyList<string> Files => _samples.Select(sample => sample.Path).ToList();

    /// <inheritdoc />
    public int Count => _samples.Count;

    /// <inheritdoc />
    public IReadOnlyList<string> Classes { get; }

    /// <inheritdoc />
    public long LabelAt(int index)
    {
        DatasetArguments.Index(index, Count);
        return _samples[index].Label;
    }

    /// <inheritdoc />
    public ImageSample Read(int index)
    {
        DatasetArguments.Index(index, Count);
        var (path, label) = _samples[index];
        return new ImageSample(_decoder.Decode(path), label, path);
    }

    private static readonly HashSet<string> SplitNames = new(StringComparer.OrdinalIgnoreCase) { "train", "training", "val", "valid", "validation", "test", "testing" };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Class folder {Folder} holds subfolders ({Subfolders}); their images are read as class '{Class}'")]
    private static partial void LogNested(ILogger logger, string folder, string subfolders, string @class);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipping image {Path}: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string path, string reason);
}
