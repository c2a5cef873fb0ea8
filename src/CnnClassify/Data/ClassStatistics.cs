namespace CnnClassify.Data;

/// <summary>Class counts and weights for imbalanced datasets.</summary>
public static class ClassStatistics
{
    /// <summary>The number of samples of each class (holding it, for a multi-label dataset), indexed by label.</summary>
    /// <param name="dataset">The dataset; only labels are read.</param>
    public static long[] Counts(IImageDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var counts = new long[dataset.Classes.Count];
        for (var i = 0; i < dataset.Count; i++)
        {
            foreach (var label in dataset.LabelsAt(i))
            {
                counts[label]++;
            }
        }

        return counts;
    }

    /// <summary>
    /// The positive weight of each class of a multi-label dataset for
    /// <c>LossFunction.BinaryCrossEntropy</c>: its negatives over its positives, so that a rare
    /// label's few positives weigh as much as its many negatives. A class without positives gets 1.
    /// </summary>
    /// <param name="counts">Samples holding each class (<see cref="Counts"/>).</param>
    /// <param name="samples">All samples.</param>
    public static double[] PositiveWeights(IReadOnlyList<long> counts, long samples)
    {
        ArgumentNullException.ThrowIfNull(counts);
        return counts.Select(count => count == 0 ? 1 : (samples - count) / (double)count).ToArray();
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

    /// <summary>
    /// Per-sample weights that make every class equally likely under
    /// <see cref="DataLoaderOptions.SampleWeights"/> (the usual use of PyTorch's
    /// <c>WeightedRandomSampler</c>): each sample weighs 1 over its class's count. A multi-label
    /// sample weighs the mean of its labels' weights; one without labels weighs as much as the
    /// rarest label.
    /// </summary>
    /// <param name="dataset">The dataset; only labels are read.</param>
    public static double[] BalancedSampleWeights(IImageDataset dataset)
    {
        var counts = Counts(dataset);
        var rarest = counts.Where(c => c > 0).DefaultIfEmpty(1).Min();
        var weights = new double[dataset.Count];
        for (var i = 0; i < dataset.Count; i++)
        {
            var labels = dataset.LabelsAt(i);
            weights[i] = labels.Count == 0 ? 1.0 / rarest : labels.Average(label => 1.0 / counts[label]);
        }

        return weights;
    }
}
