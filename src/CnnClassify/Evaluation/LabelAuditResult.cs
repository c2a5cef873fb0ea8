using System.Globalization;
using System.Text;
using CnnClassify.Data;

namespace CnnClassify.Evaluation;

/// <summary>What <see cref="LabelAudit.Find"/> found: every sample ranked, most suspect first, and the confident joint behind it.</summary>
public sealed class LabelAuditResult
{
    private readonly long[,] _joint;

    internal LabelAuditResult(IReadOnlyList<LabelIssue> ranked, IReadOnlyList<double> thresholds, long[,] joint, IReadOnlyList<string> classNames)
    {
        Ranked = ranked;
        Thresholds = thresholds;
        _joint = joint;
        ClassNames = classNames;
    }

    /// <summary>Every audited sample, ranked by self-confidence, lowest first.</summary>
    public IReadOnlyList<LabelIssue> Ranked { get; }

    /// <summary>The samples confident learning counts as mislabelled, in rank order.</summary>
    public IReadOnlyList<LabelIssue> Issues => [.. Ranked.Where(r => r.IsIssue)];

    /// <summary>Each class's threshold: the mean probability of the class over the samples labelled with it.</summary>
    public IReadOnlyList<double> Thresholds { get; }

    /// <summary>The class names.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The confident joint: how many samples labelled <paramref name="given"/> are confidently <paramref name="predicted"/>.</summary>
    /// <param name="given">The given class.</param>
    /// <param name="predicted">The confidently predicted class.</param>
    public long ConfidentJoint(int given, int predicted) => _joint[given, predicted];

    /// <summary>
    /// Writes every sample as a CSV row in rank order: rank, index, source (the file, when the
    /// dataset is given), given and suggested class, self-confidence, the suggested class's
    /// probability and whether it is an issue.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="dataset">The audited dataset, to name each sample's file; <see langword="null"/> leaves the source empty.</param>
    public void SaveCsv(string path, IImageDataset? dataset = null)
    {
        var csv = new StringBuilder("rank,index,source,given,suggested,self_confidence,suggested_probability,issue\n");
        var source = Sources(dataset);
        foreach (var row in Ranked)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{row.Rank},{row.Index},{Quote(source(row.Index))},{Quote(ClassNames[row.Given])},{Quote(ClassNames[row.Suggested])},{row.SelfConfidence:G6},{row.SuggestedProbability:G6},{(row.IsIssue ? "yes" : "no")}\n");
        }

        Serialization.AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(csv.ToString())));
    }

    /// <summary>Names each sample's file, reading the dataset's file list once; an empty name where it has none.</summary>
    internal static Func<int, string> Sources(IImageDataset? dataset)
    {
        switch (dataset)
        {
            case ImageFolderDataset folder:
                var folderFiles = folder.Files;
                return index => folderFiles[index];
            case LabeledImageDataset table:
                var tableFiles = table.Files;
                return index => tableFiles[index];
            case Subset subset:
                var inner = Sources(subset.Source);
                return index => inner(subset.Indices[index]);
            default:
                return _ => string.Empty;
        }
    }

    // RFC 4180 quoting, and a leading formula character neutralised for spreadsheets.
    internal static string Quote(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }
}
