using System.Globalization;
using System.Text;

namespace CnnClassify.Training;

/// <summary>The metrics of every epoch of a training run, in order.</summary>
public sealed class History
{
    private readonly List<EpochMetrics> _epochs = [];

    /// <summary>The epochs so far.</summary>
    public IReadOnlyList<EpochMetrics> Epochs => _epochs;

    /// <summary>The epoch with the best value of <paramref name="metric"/>, or <see langword="null"/> before the first epoch.</summary>
    /// <param name="metric">The metric.</param>
    public EpochMetrics? Best(Metric metric) => _epochs.Count == 0 ? null
        : metric.IsMaximised() ? _epochs.MaxBy(e => e.Value(metric)) : _epochs.MinBy(e => e.Value(metric));

    /// <summary>Adds an epoch.</summary>
    /// <param name="metrics">The epoch's metrics.</param>
    public void Add(EpochMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _epochs.Add(metrics);
    }

    /// <summary>
    /// The history as CSV: a header line, then one line per epoch. A multi-label model's history
    /// has <see cref="MultiLabelCsvColumns"/> after the others (its accuracies are subset accuracies).
    /// </summary>
    public string ToCsv()
    {
        var multiLabel = _epochs.Any(e => e.ValidationMeanAveragePrecision is not null);
        var text = new StringBuilder(CsvHeader).Append(multiLabel ? "," + MultiLabelCsvColumns : string.Empty).Append('\n');
        foreach (var epoch in _epochs)
        {
            text.Append(CsvLine(epoch));
            if (multiLabel)
            {
                double? Named(string name) => epoch.ValidationValues is { } values && values.TryGetValue(name, out var value) ? value : null;
                text.Append(',').Append(string.Join(',', new[]
                {
                    epoch.ValidationMeanAveragePrecision, Named(Runtime.TaskMetrics.MicroF1), Named(Runtime.TaskMetrics.MacroF1), Named(Runtime.TaskMetrics.SamplesF1), Named(Runtime.TaskMetrics.HammingLoss),
                }.Select(F)));
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The CSV header.</summary>
    public const string CsvHeader = "epoch,train_loss,train_accuracy,train_top5_accuracy,val_loss,val_accuracy,val_top5_accuracy,lr,seconds,samples_per_second";

    /// <summary>The columns a multi-label model's history adds: validation mAP, micro, macro and samples F1, and Hamming loss.</summary>
    public const string MultiLabelCsvColumns = "val_map,val_micro_f1,val_macro_f1,val_samples_f1,val_hamming_loss";

    /// <summary>One epoch as a CSV line.</summary>
    /// <param name="e">The epoch.</param>
    public static string CsvLine(EpochMetrics e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return string.Join(',', e.Epoch.ToString(CultureInfo.InvariantCulture), F(e.TrainLoss), F(e.TrainAccuracy), F(e.TrainTop5Accuracy),
            F(e.ValidationLoss), F(e.ValidationAccuracy), F(e.ValidationTop5Accuracy), F(e.LearningRate), F(e.Seconds), F(e.SamplesPerSecond));
    }

    private static string F(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? string.Empty;
}
