namespace CnnClassify.Runtime;

/// <summary>
/// Metrics of how well scores rank the positive samples of one label above the negative ones,
/// with scikit-learn's definitions: <c>average_precision_score</c> and <c>roc_auc_score</c>.
/// </summary>
public static class RankingMetrics
{
    /// <summary>
    /// Average precision: the precision at each distinct score, taken from the highest, weighted by
    /// the recall it adds (<c>sum (R_k - R_{k-1}) P_k</c>, no interpolation; tied scores count as
    /// one step). A label without positives has 0, as scikit-learn gives.
    /// </summary>
    /// <param name="scores">Each sample's score for the label.</param>
    /// <param name="positives">Whether each sample has the label.</param>
    /// <exception cref="ArgumentException">The lists differ in length.</exception>
    public static double AveragePrecision(IReadOnlyList<double> scores, IReadOnlyList<bool> positives)
    {
        double sum = 0;
        var lastRecall = 0.0;
        foreach (var point in PrecisionRecallCurve(scores, positives))
        {
            sum += (point.Recall - lastRecall) * point.Precision;
            lastRecall = point.Recall;
        }

        return sum;
    }

    /// <summary>
    /// The precision and recall of predicting the label at or above each distinct score, from the
    /// highest score down (scikit-learn's <c>precision_recall_curve</c>, in the other order and
    /// without its final point of recall 0). Empty when the label has no positives.
    /// </summary>
    /// <param name="scores">Each sample's score for the label.</param>
    /// <param name="positives">Whether each sample has the label.</param>
    /// <exception cref="ArgumentException">The lists differ in length, or a score is NaN.</exception>
    public static IReadOnlyList<PrecisionRecallPoint> PrecisionRecallCurve(IReadOnlyList<double> scores, IReadOnlyList<bool> positives)
    {
        var order = Ordered(scores, positives);
        var total = positives.Count(p => p);
        var curve = new List<PrecisionRecallPoint>();
        if (total == 0)
        {
            return curve;
        }

        long truePositives = 0;
        for (var i = 0; i < order.Length; i++)
        {
            truePositives += positives[order[i]] ? 1 : 0;
            if (i + 1 < order.Length && scores[order[i + 1]] == scores[order[i]])
            {
                continue;
            }

            curve.Add(new PrecisionRecallPoint(scores[order[i]], truePositives / (double)(i + 1), truePositives / (double)total));
        }

        return curve;
    }

    /// <summary>
    /// The area under the ROC curve: the chance that a random positive scores above a random
    /// negative, ties counting half. NaN when the samples hold only one class, where scikit-learn
    /// refuses to compute it.
    /// </summary>
    /// <param name="scores">Each sample's score for the label.</param>
    /// <param name="positives">Whether each sample has the label.</param>
    /// <exception cref="ArgumentException">The lists differ in length.</exception>
    public static double RocAuc(IReadOnlyList<double> scores, IReadOnlyList<bool> positives)
    {
        var order = Ordered(scores, positives);
        long positiveCount = positives.Count(p => p);
        long negativeCount = positives.Count - positiveCount;
        if (positiveCount == 0 || negativeCount == 0)
        {
            return double.NaN;
        }

        // Walking from the lowest score: each positive beats the negatives below it and ties half of its group's.
        double wins = 0;
        long negativesBelow = 0;
        for (var end = order.Length; end > 0;)
        {
            var start = end - 1;
            while (start > 0 && scores[order[start - 1]] == scores[order[end - 1]])
            {
                start--;
            }

            long groupPositives = 0;
            for (var i = start; i < end; i++)
            {
                groupPositives += positives[order[i]] ? 1 : 0;
            }

            var groupNegatives = end - start - groupPositives;
            wins += groupPositives * (negativesBelow + (groupNegatives / 2.0));
            negativesBelow += groupNegatives;
            end = start;
        }

        return wins / ((double)positiveCount * negativeCount);
    }

    // Sample indices by descending score (stable), after checking the inputs.
    private static int[] Ordered(IReadOnlyList<double> scores, IReadOnlyList<bool> positives)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(positives);
        if (scores.Count != positives.Count)
        {
            throw new ArgumentException($"Got {scores.Count} scores for {positives.Count} targets.", nameof(scores));
        }

        if (scores.Any(double.IsNaN))
        {
            throw new ArgumentException("A score is NaN.", nameof(scores));
        }

        return [.. Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i])];
    }
}
