namespace CnnClassify.Runtime;

/// <summary>
/// Chooses a multi-label model's decision thresholds from its scores on validation data: a class
/// is predicted when its probability is at or above its threshold.
/// </summary>
public static class DecisionThresholds
{
    /// <summary>
    /// One threshold per class, each the one that maximises that class's F1 on the samples. A
    /// threshold lies halfway between the lowest score it accepts and the next lower score, so the
    /// samples are split exactly as found while new ones get a margin. A class without positives,
    /// where F1 is 0 whatever the threshold, keeps <paramref name="fallback"/>.
    /// </summary>
    /// <param name="rows">Scores and true labels, such as <see cref="TaskMetrics.Rows"/> after validation.</param>
    /// <param name="fallback">The threshold of classes the data cannot inform.</param>
    /// <exception cref="ArgumentException">There are no samples, or a row's width differs.</exception>
    public static IReadOnlyList<double> MaximizeF1PerClass(MultiLabelRows rows, double fallback = Inference.TaskNames.DefaultThreshold)
    {
        var classes = Width(rows);
        return [.. Enumerable.Range(0, classes).Select(c => Best([.. rows.Scores.Select(r => (double)r[c])], [.. rows.Targets.Select(t => t[c])], fallback))];
    }

    /// <summary>
    /// One threshold for every class, the one that maximises the micro-averaged F1 (all classes'
    /// decisions pooled), placed as <see cref="MaximizeF1PerClass"/> places them.
    /// </summary>
    /// <param name="rows">Scores and true labels.</param>
    /// <param name="fallback">The threshold when the samples hold no positive label.</param>
    /// <exception cref="ArgumentException">There are no samples, or a row's width differs.</exception>
    public static IReadOnlyList<double> MaximizeMicroF1(MultiLabelRows rows, double fallback = Inference.TaskNames.DefaultThreshold)
    {
        var classes = Width(rows);
        var threshold = Best([.. rows.Scores.SelectMany(r => r.Select(v => (double)v))], [.. rows.Targets.SelectMany(t => t)], fallback);
        return [.. Enumerable.Repeat(threshold, classes)];
    }

    private static int Width(MultiLabelRows rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Scores.Count == 0 || rows.Scores.Count != rows.Targets.Count)
        {
            throw new ArgumentException($"Thresholds need samples: got {rows.Scores.Count} score rows and {rows.Targets.Count} target rows.", nameof(rows));
        }

        var classes = rows.Scores[0].Length;
        if (rows.Scores.Any(r => r.Length != classes) || rows.Targets.Any(t => t.Length != classes))
        {
            throw new ArgumentException($"Every row needs {classes} classes.", nameof(rows));
        }

        return classes;
    }

    // Sweeps the distinct scores from the highest: accepting everything down to a score gives
    // F1 = 2 TP / (P + accepted). The first best wins, which is the highest such threshold.
    private static double Best(double[] scores, bool[] positives, double fallback)
    {
        var positiveCount = positives.Count(p => p);
        if (positiveCount == 0)
        {
            return fallback;
        }

        var order = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ToArray();
        var bestF1 = -1.0;
        var bestAt = -1;
        long truePositives = 0;
        for (var i = 0; i < order.Length; i++)
        {
            truePositives += positives[order[i]] ? 1 : 0;
            if (i + 1 < order.Length && scores[order[i + 1]] == scores[order[i]])
            {
                continue;
            }

            var f1 = 2.0 * truePositives / (positiveCount + i + 1);
            if (f1 > bestF1)
            {
                (bestF1, bestAt) = (f1, i);
            }
        }

        var lowestAccepted = scores[order[bestAt]];
        return bestAt + 1 < order.Length ? (lowestAccepted + scores[order[bestAt + 1]]) / 2 : lowestAccepted;
    }
}
