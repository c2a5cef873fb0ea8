using CnnClassify.Inference;
using Microsoft.Extensions.Logging;
using nietras.SeparatedValues;

namespace CnnClassify.Data;

/// <summary>
/// Images with labels given by a table (<see cref="FromCsv"/>: CSV or TSV, as labelling tools
/// export) or by a function of each path (<see cref="FromFunction"/>, like fastai's <c>get_y</c>),
/// single-label or multi-label. Every row is checked when the dataset is created, as
/// <see cref="ImageFolderDataset"/> checks its files: a missing or unreadable image and an empty or
/// unknown label are left out with a warning naming the row (or, in strict mode, are an error).
/// </summary>
public sealed partial class LabeledImageDataset : IImageDataset
{
    /// <summary>Largest label table read: 1 GiB.</summary>
    public const long MaxTableBytes = 1L << 30;

    /// <summary>Most rows a label table may hold: 50 million.</summary>
    public const int MaxRows = 50_000_000;

    /// <summary>Longest cell read, in characters: 64 Ki.</summary>
    public const int MaxCellLength = 1 << 16;

    private readonly List<(string Path, int[] Labels)> _samples;
    private readonly ImageDecoder _decoder;

    private LabeledImageDataset(List<(string Path, int[] Labels)> samples, IReadOnlyList<string> classes, bool multiLabel, ImageDecoder decoder, IReadOnlyList<(string Where, string Reason)> skipped)
    {
        _samples = samples;
        Classes = classes;
        IsMultiLabel = multiLabel;
        _decoder = decoder;
        Skipped = skipped;
    }

    /// <inheritdoc />
    public int Count => _samples.Count;

    /// <inheritdoc />
    public IReadOnlyList<string> Classes { get; }

    /// <inheritdoc />
    public bool IsMultiLabel { get; }

    /// <summary>Rows left out when the dataset was created: where (file and line, or path) and why.</summary>
    public IReadOnlyList<(string Where, string Reason)> Skipped { get; }

    /// <summary>The image files, in sample order.</summary>
    public IReadOnlyList<string> Files => [.. _samples.Select(s => s.Path)];

    /// <summary>
    /// Reads a CSV or TSV label table: one row per image, a path (relative to
    /// <see cref="LabelTableOptions.ImageRoot"/>) and its label or labels.
    /// </summary>
    /// <param name="path">The table.</param>
    /// <param name="options">Columns, separators and checks; <see langword="null"/> for the defaults (a header row, path in the first column, one label in the second).</param>
    /// <exception cref="FileNotFoundException">The table does not exist.</exception>
    /// <exception cref="InvalidDataException">The table is too large, a named column is not in its header (the message lists those that are), a row is too short for a column or a cell too long, or no row is usable; the message names the file and line.</exception>
    /// <exception cref="InvalidDataException">(Strict mode) a row cannot be used; the message names its file and line.</exception>
    public static LabeledImageDataset FromCsv(string path, LabelTableOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new LabelTableOptions();
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw Directory.Exists(path)
                ? new InvalidDataException($"Label table '{path}' is a folder; give the CSV or TSV file.")
                : new FileNotFoundException($"Label table '{path}' does not exist.", path);
        }

        if (file.Length > MaxTableBytes)
        {
            throw new InvalidDataException($"Label table '{path}' holds {file.Length:N0} bytes, more than the {MaxTableBytes:N0} a label table may.");
        }

        var rows = ReadRows(path, options);
        var root = options.ImageRoot ?? Path.GetDirectoryName(Path.GetFullPath(path))!;
        return Create(rows.Select(r => ($"{path} line {r.Line}", Path.Combine(root, r.Path), r.Labels)), options, $"Label table '{path}'");
    }

    /// <summary>
    /// Labels images by a function of their paths, like fastai's <c>get_y</c>: one label, several
    /// (multi-label), or none.
    /// </summary>
    /// <param name="paths">The image files.</param>
    /// <param name="labels">The labels of one file; empty strings are empty labels, a row problem.</param>
    /// <param name="options">Classes, checks and decoding (the table settings are ignored).</param>
    /// <exception cref="InvalidDataException">No image is usable.</exception>
    /// <exception cref="InvalidDataException">(Strict mode) an image or its labels cannot be used.</exception>
    public static LabeledImageDataset FromFunction(IEnumerable<string> paths, Func<string, IEnumerable<string>> labels, LabelTableOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(labels);
        return Create(paths.Select(p => (p, p, (IReadOnlyList<string>)[.. labels(p)])), options ?? new LabelTableOptions(), "The labelled images");
    }

    /// <inheritdoc />
    public long LabelAt(int index)
    {
        DatasetArguments.Index(index, Count);
        return IsMultiLabel
            ? throw new InvalidOperationException("This dataset is multi-label: each sample holds a set of classes (LabelsAt), not one.")
            : _samples[index].Labels[0];
    }

    /// <inheritdoc />
    public IReadOnlyList<int> LabelsAt(int index)
    {
        DatasetArguments.Index(index, Count);
        return _samples[index].Labels;
    }

    /// <inheritdoc />
    public ImageSample Read(int index)
    {
        DatasetArguments.Index(index, Count);
        var (path, labels) = _samples[index];
        return new ImageSample(_decoder.Decode(path), IsMultiLabel ? -1 : labels[0], path);
    }

    private static List<(long Line, string Path, IReadOnlyList<string> Labels)> ReadRows(string path, LabelTableOptions options)
    {
        var separator = options.Separator ?? (Path.GetExtension(path).Equals(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',');
        var rows = new List<(long, string, IReadOnlyList<string>)>();
        try
        {
            using var reader = Sep.Reader(o => o with { Sep = new Sep(separator), HasHeader = options.HasHeader, Unescape = true, DisableColCountCheck = true }).FromFile(path);
            var pathColumn = Column(reader, options.PathColumn, options.PathColumnIndex, "image path", path, options.HasHeader);
            var labelColumn = Column(reader, options.LabelColumn, options.LabelColumnIndex, "label", path, options.HasHeader);
            foreach (var row in reader)
            {
                var line = row.LineNumberFrom;
                if (rows.Count >= MaxRows)
                {
                    throw new InvalidDataException($"Label table '{path}' has more than {MaxRows:N0} rows.");
                }

                if (row.ColCount <= Math.Max(pathColumn, labelColumn))
                {
                    if (row.ColCount == 1 && row[0].Span.Trim().IsEmpty)
                    {
                        continue;  // a blank line
                    }

                    throw new InvalidDataException($"Label table '{path}' line {line}: the row has {row.ColCount} column(s), too few for the {(row.ColCount <= pathColumn ? "image path" : "label")} column (column {Math.Max(pathColumn, labelColumn) + 1}).");
                }

                var image = Cell(row[pathColumn].Span, path, line);
                var cell = Cell(row[labelColumn].Span, path, line);
                IReadOnlyList<string> labels = options.LabelSeparator is { } between
                    ? cell.Trim().Length == 0 ? [] : [.. cell.Split(between).Select(l => l.Trim())]
                    : [cell.Trim()];
                rows.Add((line, image.Trim(), labels));
            }
        }
        catch (Exception ex) when (ex is not InvalidDataException && ex is FormatException or ArgumentException or InvalidOperationException or IOException and not FileNotFoundException)
        {
            throw new InvalidDataException($"Label table '{path}' cannot be read: {ex.Message}", ex);
        }

        return rows;
    }

    private static int Column(SepReader reader, string? name, int index, string what, string path, bool hasHeader)
    {
        if (name is null)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            return index;
        }

        if (!hasHeader)
        {
            throw new ArgumentException($"The {what} column is named '{name}', but the table has no header row; give its position instead.");
        }

        return reader.Header.TryIndexOf(name, out var found)
            ? found
            : throw new InvalidDataException($"Label table '{path}' has no column named '{TerminalText.Escape(name)}' for the {what}; its columns are {string.Join(", ", reader.Header.ColNames.Select(c => $"'{TerminalText.Escape(c)}'"))}.");
    }

    private static string Cell(ReadOnlySpan<char> cell, string path, long line) => cell.Length <= MaxCellLength
        ? cell.ToString()
        : throw new InvalidDataException($"Label table '{path}' line {line}: a cell holds {cell.Length:N0} characters, more than the {MaxCellLength:N0} allowed.");

    private static LabeledImageDataset Create(IEnumerable<(string Where, string Path, IReadOnlyList<string> Labels)> rows, LabelTableOptions options, string source)
    {
        var logger = options.Logger ?? CnnClassifyLogging.For<LabeledImageDataset>();
        var decoder = new ImageDecoder(options.ColorMode, options.MaxPixels, options.DecodeSize, options.ApplyExifOrientation);
        var listed = rows.ToList();
        var given = options.Classes;
        if (given is not null && (given.Count is 0 or > ModelLimits.MaxClasses || given.Distinct(StringComparer.Ordinal).Count() != given.Count))
        {
            throw new ArgumentException($"The given classes must be 1 to {ModelLimits.MaxClasses:N0} distinct names; got {given.Count:N0}.", nameof(options));
        }

        var skipped = new List<(string, string)>();
        void Skip(string where, string reason)
        {
            if (options.Strict)
            {
                throw new InvalidDataException($"{where}: {reason}.");
            }

            skipped.Add((where, reason));
            LogSkipped(logger, where, reason);
        }

        // Whether the data is multi-label follows from the rows whose labels are usable; the rows are
        // then checked in order, so that the warnings follow the table.
        var known = given is null ? null : new HashSet<string>(given, StringComparer.Ordinal);
        string? LabelProblem(IReadOnlyList<string> labels, bool multiLabel) =>
            labels.Any(l => l.Length == 0) ? (labels.Count == 1 ? "the label is empty" : "a label is empty")
            : labels.Count == 0 && !multiLabel ? "the label is empty"
            : labels.FirstOrDefault(l => l.Length > ModelLimits.MaxClassNameLength) is { } tooLong ? $"a label is {tooLong.Length:N0} characters long, more than the {ModelLimits.MaxClassNameLength:N0} allowed"
            : known is not null && labels.FirstOrDefault(l => !known.Contains(l)) is { } unknown ? $"the label '{TerminalText.Escape(unknown)}' is not one of the {given!.Count:N0} classes given"
            : null;
        var multiLabel = options.MultiLabel ?? listed.Any(r => LabelProblem(r.Labels, true) is null && r.Labels.Distinct(StringComparer.Ordinal).Count() > 1);

        var kept = new List<(string Path, string[] Labels)>();
        foreach (var (where, path, labels) in listed)
        {
            var distinct = labels.Distinct(StringComparer.Ordinal).ToArray();
            var problem = LabelProblem(labels, multiLabel)
                ?? (!multiLabel && distinct.Length != 1 ? $"the row holds {distinct.Length} labels, but the data is single-label"
                : path.Length == 0 ? "the image path is empty"
                : !File.Exists(path) ? $"the image '{path}' does not exist"
                : null);
            if (problem is null)
            {
                try
                {
                    decoder.Check(path);
                }
                catch (InvalidImageException ex)
                {
                    problem = $"the image '{path}' cannot be used: {ex.Reason}";
                }
            }

            if (problem is not null)
            {
                Skip(where, problem);
                continue;
            }

            kept.Add((path, distinct));
        }

        var classes = given ?? [.. kept.SelectMany(r => r.Labels).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        if (classes.Count > ModelLimits.MaxClasses)
        {
            throw new InvalidDataException($"{source}: the labels name {classes.Count:N0} classes, more than the {ModelLimits.MaxClasses:N0} a model may predict.");
        }

        var index = classes.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        var samples = kept.Select(r => (r.Path, (int[])[.. r.Labels.Select(l => index[l]).Order()])).ToList();

        if (samples.Count == 0)
        {
            throw new InvalidDataException(listed.Count == 0
                ? $"{source} holds no rows."
                : $"{source}: none of its {listed.Count:N0} rows is usable; the first problem: {skipped[0].Item1}: {skipped[0].Item2}.");
        }

        if (skipped.Count > 0)
        {
            LogSkippedCount(logger, skipped.Count, listed.Count);
        }

        return new LabeledImageDataset(samples, classes, multiLabel, decoder, skipped);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipping {Where}: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string where, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Skipped} of {Rows} labelled images left out (see the warnings above)")]
    private static partial void LogSkippedCount(ILogger logger, int skipped, int rows);
}
