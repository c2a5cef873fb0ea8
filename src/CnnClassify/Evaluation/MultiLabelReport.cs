using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CnnClassify.Runtime;

namespace CnnClassify.Evaluation;

/// <summary>
/// A multi-label model's metrics with scikit-learn's definitions: per label precision, recall, F1,
/// support, average precision, ROC AUC and confusion matrix; micro, macro, weighted and samples
/// averages; the mean average precision (mAP); Hamming loss and subset accuracy. Divisions by zero
/// give 0, as scikit-learn's default <c>zero_division</c> does.
/// </summary>
public sealed class MultiLabelReport
{
    /// <summary>Computes the report.</summary>
    /// <param name="probabilities">Each sample's probability per label.</param>
    /// <param name="targets">Whether each sample has each label.</param>
    /// <param name="predicted">Whether each label was predicted for each sample (the probability at or above its threshold).</param>
    /// <param name="labelNames">The label names.</param>
    /// <exception cref="ArgumentException">The rows disagree in count or width.</exception>
    public MultiLabelReport(IReadOnlyList<float[]> probabilities, IReadOnlyList<bool[]> targets, IReadOnlyList<bool[]> predicted, IReadOnlyList<string> labelNames)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(labelNames);
        var classes = labelNames.Count;
        if (targets.Count != probabilities.Count || predicted.Count != probabilities.Count
            || probabilities.Any(r => r.Length != classes) || targets.Any(r => r.Length != classes) || predicted.Any(r => r.Length != classes))
        {
            throw new ArgumentException($"Need one row of {classes} probabilities, targets and decisions per sample.", nameof(probabilities));
        }

        var n = probabilities.Count;
        Samples = n;
        Labels = [.. Enumerable.Range(0, classes).Select(c =>
        {
            long tp = 0, fp = 0, fn = 0, tn = 0;
            for (var i = 0; i < n; i++)
            {
                (tp, fp, fn, tn) = (targets[i][c], predicted[i][c]) switch
                {
                    (true, true) => (tp + 1, fp, fn, tn),
                    (false, true) => (tp, fp + 1, fn, tn),
                    (true, false) => (tp, fp, fn + 1, tn),
                    _ => (tp, fp, fn, tn + 1),
                };
            }

            var scores = probabilities.Select(r => (double)r[c]).ToArray();
            var truth = targets.Select(r => r[c]).ToArray();
            return new LabelMetrics(labelNames[c], Divide(tp, tp + fp), Divide(tp, tp + fn), Divide(2 * tp, (2 * tp) + fp + fn), tp + fn,
                RankingMetrics.AveragePrecision(scores, truth), RankingMetrics.RocAuc(scores, truth), new BinaryConfusion(tn, fp, fn, tp));
        })];

        long truePositives = Labels.Sum(l => l.Matrix.TruePositives);
        long predictedPositives = truePositives + Labels.Sum(l => l.Matrix.FalsePositives);
        long actualPositives = truePositives + Labels.Sum(l => l.Matrix.FalseNegatives);
        Micro = new AveragedMetrics(Divide(truePositives, predictedPositives), Divide(truePositives, actualPositives), Divide(2 * truePositives, predictedPositives + actualPositives));
        Macro = classes == 0 ? new AveragedMetrics(0, 0, 0) : new AveragedMetrics(Labels.Average(l => l.Precision), Labels.Average(l => l.Recall), Labels.Average(l => l.F1));
        var support = (double)Labels.Sum(l => l.Support);
        Weighted = support == 0 ? new AveragedMetrics(0, 0, 0) : new AveragedMetrics(
            Labels.Sum(l => l.Precision * l.Support) / support, Labels.Sum(l => l.Recall * l.Support) / support, Labels.Sum(l => l.F1 * l.Support) / support);

        double precisionSum = 0, recallSum = 0, f1Sum = 0;
        long exact = 0, mismatched = 0;
        for (var i = 0; i < n; i++)
        {
            long tp = 0, truth = 0, guessed = 0, wrong = 0;
            for (var c = 0; c < classes; c++)
            {
                tp += targets[i][c] && predicted[i][c] ? 1 : 0;
                truth += targets[i][c] ? 1 : 0;
                guessed += predicted[i][c] ? 1 : 0;
                wrong += targets[i][c] != predicted[i][c] ? 1 : 0;
            }

            precisionSum += Divide(tp, guessed);
            recallSum += Divide(tp, truth);
            f1Sum += Divide(2 * tp, truth + guessed);
            exact += wrong == 0 ? 1 : 0;
            mismatched += wrong;
        }

        SamplesAverage = n == 0 ? new AveragedMetrics(0, 0, 0) : new AveragedMetrics(precisionSum / n, recallSum / n, f1Sum / n);
        SubsetAccuracy = n == 0 ? double.NaN : exact / (double)n;
        HammingLoss = n * classes == 0 ? double.NaN : mismatched / ((double)n * classes);
        MeanAveragePrecision = classes == 0 ? double.NaN : Labels.Average(l => l.AveragePrecision);
        var defined = Labels.Where(l => !double.IsNaN(l.RocAuc)).ToList();
        MacroRocAuc = defined.Count == 0 ? double.NaN : defined.Average(l => l.RocAuc);
    }

    /// <summary>Samples evaluated.</summary>
    public int Samples { get; }

    /// <summary>Each label's metrics, in label order.</summary>
    public IReadOnlyList<LabelMetrics> Labels { get; }

    /// <summary>Precision, recall and F1 of all labels' decisions pooled.</summary>
    public AveragedMetrics Micro { get; }

    /// <summary>The unweighted mean over labels.</summary>
    public AveragedMetrics Macro { get; }

    /// <summary>The mean over labels weighted by support.</summary>
    public AveragedMetrics Weighted { get; }

    /// <summary>The mean over samples of each sample's precision, recall and F1 (scikit-learn's <c>average="samples"</c>).</summary>
    public AveragedMetrics SamplesAverage { get; }

    /// <summary>The share of samples whose predicted label set is exactly right.</summary>
    public double SubsetAccuracy { get; }

    /// <summary>The share of (sample, label) decisions that are wrong.</summary>
    public double HammingLoss { get; }

    /// <summary>The mean of the labels' average precision (mAP); a label without positives counts as 0, as in scikit-learn.</summary>
    public double MeanAveragePrecision { get; }

    /// <summary>The mean ROC AUC over the labels where it is defined (both classes present).</summary>
    public double MacroRocAuc { get; }

    /// <summary>The report as JSON, as <c>metrics.json</c> holds it.</summary>
    /// <param name="thresholds">The decision thresholds, to list with each label; <see langword="null"/> to leave them out.</param>
    public JsonObject ToJson(IReadOnlyList<double>? thresholds = null)
    {
        static JsonObject Averaged(AveragedMetrics m) => new() { ["precision"] = m.Precision, ["recall"] = m.Recall, ["f1"] = m.F1 };
        return new JsonObject
        {
            ["mean_average_precision"] = MeanAveragePrecision,
            ["macro_roc_auc"] = MacroRocAuc,
            ["subset_accuracy"] = SubsetAccuracy,
            ["hamming_loss"] = HammingLoss,
            ["micro"] = Averaged(Micro),
            ["macro"] = Averaged(Macro),
            ["weighted"] = Averaged(Weighted),
            ["samples"] = Averaged(SamplesAverage),
            ["per_label"] = new JsonObject(Labels.Select((l, i) => KeyValuePair.Create(l.Name, (JsonNode?)new JsonObject
            {
                ["precision"] = l.Precision,
                ["recall"] = l.Recall,
                ["f1"] = l.F1,
                ["support"] = l.Support,
                ["average_precision"] = l.AveragePrecision,
                ["roc_auc"] = l.RocAuc,
                ["threshold"] = thresholds?[i],
                ["confusion_matrix"] = new JsonArray(
                    new JsonArray(l.Matrix.TrueNegatives, l.Matrix.FalsePositives),
                    new JsonArray(l.Matrix.FalseNegatives, l.Matrix.TruePositives)),
            }))),
        };
    }

    /// <summary>The report as a table: one row per label, then the averages and the set-level metrics.</summary>
    public override string ToString()
    {
        var width = Math.Max("weighted avg".Length, Labels.Count == 0 ? 0 : Labels.Max(l => l.Name.Length));
        var text = new StringBuilder();
        text.Append(string.Empty.PadLeft(width)).Append("  precision     recall   f1-score    support         AP    ROC AUC\n\n");
        foreach (var l in Labels)
        {
            text.Append(l.Name.PadLeft(width));
            foreach (var value in new[] { l.Precision, l.Recall, l.F1 })
            {
                text.Append(F(value));
            }

            text.Append(l.Support.ToString(CultureInfo.InvariantCulture).PadLeft(11)).Append(F(l.AveragePrecision)).Append(F(l.RocAuc)).Append('\n');
        }

        text.Append('\n');
        foreach (var (name, m) in new[] { ("micro avg", Micro), ("macro avg", Macro), ("weighted avg", Weighted), ("samples avg", SamplesAverage) })
        {
            text.Append(name.PadLeft(width)).Append(F(m.Precision)).Append(F(m.Recall)).Append(F(m.F1)).Append('\n');
        }

        text.Append('\n')
            .Append(CultureInfo.InvariantCulture, $"mAP {MeanAveragePrecision:F4}, macro ROC AUC {MacroRocAuc:F4}, subset accuracy {SubsetAccuracy:F4}, Hamming loss {HammingLoss:F4}, {Samples} samples\n");
        return text.ToString();
    }

    private static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture).PadLeft(11);

    private static double Divide(long numerator, long denominator) => denominator == 0 ? 0 : numerator / (double)denominator;
}
