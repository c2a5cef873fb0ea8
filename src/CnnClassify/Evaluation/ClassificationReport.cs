using System.Globalization;
using System.Text;
using CnnClassify.Runtime;

namespace CnnClassify.Evaluation;

/// <summary>
/// Per-class precision, recall, F1 and support with accuracy and macro and weighted averages,
/// by scikit-learn's definitions with <c>zero_division=0</c>; <see cref="ToString"/> lays it out
/// as <c>classification_report</c> does.
/// </summary>
public sealed class ClassificationReport
{
    /// <summary>Computes the report from a confusion matrix.</summary>
    /// <param name="matrix">The confusion matrix.</param>
    public ClassificationReport(ConfusionMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        Matrix = matrix;
        Classes = Enumerable.Range(0, matrix.Size).Select(c =>
        {
            double truePositives = matrix[c, c];
            var predicted = matrix.ColumnTotal(c);
            var support = matrix.RowTotal(c);
            var precision = predicted == 0 ? 0 : truePositives / predicted;
            var recall = support == 0 ? 0 : truePositives / support;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            return new ClassMetrics(matrix.ClassNames[c], precision, recall, f1, support);
        }).ToList();

        var total = matrix.Total;
        Accuracy = total == 0 ? 0 : Enumerable.Range(0, matrix.Size).Sum(c => (double)matrix[c, c]) / total;
        MacroAverage = new ClassMetrics("macro avg", Classes.Average(c => c.Precision), Classes.Average(c => c.Recall), Classes.Average(c => c.F1), total);
        WeightedAverage = total == 0
            ? new ClassMetrics("weighted avg", 0, 0, 0, 0)
            : new ClassMetrics("weighted avg",
                Classes.Sum(c => c.Precision * c.Support) / total,
                Classes.Sum(c => c.Recall * c.Support) / total,
                Classes.Sum(c => c.F1 * c.Support) / total,
                total);
    }

    /// <summary>The confusion matrix the report was computed from.</summary>
    public ConfusionMatrix Matrix { get; }

    /// <summary>One entry per class, in label order.</summary>
    public IReadOnlyList<ClassMetrics> Classes { get; }

    /// <summary>Share of samples predicted correctly.</summary>
    public double Accuracy { get; }

    /// <summary>Unweighted mean over classes (classes without samples count as 0).</summary>
    public ClassMetrics MacroAverage { get; }

    /// <summary>Mean over classes weighted by support.</summary>
    public ClassMetrics WeightedAverage { get; }

    /// <summary>The report in scikit-learn's layout (<c>classification_report(digits=2)</c>).</summary>
    public override string ToString()
    {
        var width = Math.Max("weighted avg".Length, Classes.Max(c => c.Name.Length));
        var text = new StringBuilder();
        text.Append(string.Empty.PadLeft(width)).Append(' ')
            .Append(" precision").Append("    recall").Append("  f1-score").Append("   support").Append("\n\n");
        foreach (var c in Classes)
        {
            Row(text, c, width);
        }

        text.Append('\n')
            .Append("accuracy".PadLeft(width)).Append(' ')
            .Append(string.Empty.PadLeft(20))
            .Append(' ').Append(Accuracy.ToString("F2", CultureInfo.InvariantCulture).PadLeft(9))
            .Append(' ').Append(MacroAverage.Support.ToString(CultureInfo.InvariantCulture).PadLeft(9))
            .Append('\n');
        Row(text, MacroAverage, width);
        Row(text, WeightedAverage, width);
        return text.ToString();
    }

    private static void Row(StringBuilder text, ClassMetrics c, int width)
    {
        text.Append(c.Name.PadLeft(width)).Append(' ');
        foreach (var value in new[] { c.Precision, c.Recall, c.F1 })
        {
            text.Append(' ').Append(value.ToString("F2", CultureInfo.InvariantCulture).PadLeft(9));
        }

        text.Append(' ').Append(c.Support.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
    }
}
