namespace CnnClassify.Data;

/// <summary>Class counts and weights for imbalanced datasets.</summary>
public static class ClassStatistics
{
    /// <summary>The number of samples of each class, indexed by label.</summary>
    /// <param name="dataset">The dataset; only labels are read.</param>
    public static long[] Counts(IImageDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var counts = new long[dataset.Classes.Count];
        for (var i = 0; i < dataset.Count; i++)
        {
            counts[dataset.LabelAt(i)]++;
        }

        return counts;
    }

    /// <summary>
    /// Class weights inversely proportional to class frequency, scikit-learn's "balanced" rule:
    /// <c>samples / (classes * count)</c>. A class with no samples gets weight 0.
    /// </summary>
    /// <param name="counts">Samples per class.</param>
    /// <returns>One weight per class, for a weighted loss.</returns>
    public static double[] BalancedWeights(IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        double total = counts.Sum();
        return counts.Select(count => count == 0 ? 0 : total / (counts.Count * (double)count)).ToArray();
    }
}
