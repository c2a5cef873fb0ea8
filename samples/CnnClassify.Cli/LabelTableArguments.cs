using System.CommandLine;
using CnnClassify.Data;

namespace CnnClassify.Cli;

/// <summary>
/// The options that read images and labels from a table (<c>--labels</c>, <c>--images</c>, and the
/// columns and separators), shared by <c>train</c> and <c>evaluate</c>.
/// </summary>
internal sealed class LabelTableArguments
{
    public Option<string?> Labels { get; } = new("--labels") { Description = "A CSV or TSV file of image paths and labels (the training table for train, the test table for evaluate); implies --dataset csv." };

    public Option<string?> TestLabels { get; } = new("--test-labels") { Description = "With --labels, the test table (default: a share of --labels held out as --val-split)." };

    public Option<string?> Images { get; } = new("--images") { Description = "With --labels, the folder image paths are relative to (default: the table's folder)." };

    public Option<string?> PathColumn { get; } = new("--path-column") { Description = "With --labels, the column of image paths: a header name or a 0-based position (default: 0)." };

    public Option<string?> LabelColumn { get; } = new("--label-column") { Description = "With --labels, the column of labels: a header name or a 0-based position (default: 1)." };

    public Option<string> LabelSeparator { get; } = new("--label-separator") { Description = "With --labels, the character between a row's labels; 'space' and 'tab' name those.", DefaultValueFactory = _ => ";" };

    public Option<bool> MultiLabel { get; } = new("--multi-label") { Description = "With --labels, treat the data as multi-label even when every row holds one label (by default it is multi-label when some row holds several)." };

    public Option<bool> NoHeader { get; } = new("--no-header") { Description = "With --labels, the table has no header row; columns are positions." };

    public IEnumerable<Option> All => [Labels, TestLabels, Images, PathColumn, LabelColumn, LabelSeparator, MultiLabel, NoHeader];

    /// <summary>The table options the command line gives, with the decoding settings of the pipeline.</summary>
    public LabelTableOptions Options(ParseResult parse, Microsoft.Extensions.Logging.ILogger logger, DecodeSize? decode, bool exifOrientation)
    {
        var header = !parse.GetValue(NoHeader);
        var (pathName, pathIndex) = Column(parse.GetValue(PathColumn), 0, "--path-column", header);
        var (labelName, labelIndex) = Column(parse.GetValue(LabelColumn), 1, "--label-column", header);
        return new LabelTableOptions
        {
            ImageRoot = parse.GetValue(Images),
            HasHeader = header,
            PathColumn = pathName,
            PathColumnIndex = pathIndex,
            LabelColumn = labelName,
            LabelColumnIndex = labelIndex,
            LabelSeparator = Separator(parse.GetValue(LabelSeparator)!),
            MultiLabel = parse.GetValue(MultiLabel) ? true : null,
            ColorMode = ColorMode.Rgb,
            DecodeSize = decode,
            ApplyExifOrientation = exifOrientation,
            Logger = logger,
        };
    }

    private static (string? Name, int Index) Column(string? value, int fallback, string option, bool header)
    {
        if (value is null)
        {
            return (null, fallback);
        }

        if (int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            return index <= 10_000 ? (null, index) : throw new UsageException($"{option} {value}: a column position is at most 10,000.");
        }

        return header ? (value, 0) : throw new UsageException($"{option} '{value}' names a column, but --no-header says the table has no header row; give its 0-based position.");
    }

    private static char Separator(string text) => text switch
    {
        "space" => ' ',
        "tab" => '\t',
        { Length: 1 } => text[0],
        _ => throw new UsageException($"--label-separator must be one character, 'space' or 'tab'; got '{text}'."),
    };
}
