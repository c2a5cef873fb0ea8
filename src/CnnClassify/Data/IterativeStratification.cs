namespace CnnClassify.Data;

/// <summary>
/// Iterative stratification of multi-label data into two parts (Sechidis, Tsoumakas and Vlahavas,
/// 2011): the label with the fewest samples left is placed first, each of its samples going to
/// the part that still wants most of that label (ties: the part wanting most samples, then chance).
/// Samples without labels fill the parts' remaining sizes last.
/// </summary>
internal static class IterativeStratification
{
    /// <summary>For each sample, whether it goes to the held-out part of share <paramref name="heldFraction"/>.</summary>
    public static bool[] Held(IImageDataset dataset, double heldFraction, int seed)
    {
        var random = new Random(seed);
        var count = dataset.Count;
        var labels = Enumerable.Range(0, count).Select(dataset.LabelsAt).ToArray();
        var classes = dataset.Classes.Count;
        double[] fractions = [1 - heldFraction, heldFraction];

        // What each part still wants: samples, and samples of each label.
        var wantSamples = fractions.Select(f => f * count).ToArray();
        var perLabel = new int[classes];
        foreach (var set in labels)
        {
            foreach (var label in set)
            {
                perLabel[label]++;
            }
        }

        var wantLabel = fractions.Select(f => perLabel.Select(n => f * n).ToArray()).ToArray();
        var part = Enumerable.Repeat(-1, count).ToArray();
        var remaining = new HashSet<int>(Enumerable.Range(0, count).Where(i => labels[i].Count > 0));
        var left = (int[])perLabel.Clone();

        while (remaining.Count > 0)
        {
            var rarest = Enumerable.Range(0, classes).Where(l => left[l] > 0).MinBy(l => (left[l], random.Next()));
            var samples = remaining.Where(i => labels[i].Contains(rarest)).Order().ToArray();
            random.Shuffle(samples);
            foreach (var sample in samples)
            {
                var best = Enumerable.Range(0, 2)
                    .OrderByDescending(p => wantLabel[p][rarest])
                    .ThenByDescending(p => wantSamples[p])
                    .ThenBy(_ => random.Next())
                    .First();
                part[sample] = best;
                remaining.Remove(sample);
                wantSamples[best]--;
                foreach (var label in labels[sample])
                {
                    wantLabel[best][label]--;
                    left[label]--;
                }
            }
        }

        var unlabelled = Enumerable.Range(0, count).Where(i => part[i] < 0).ToArray();
        random.Shuffle(unlabelled);
        foreach (var sample in unlabelled)
        {
            var best = wantSamples[1] > wantSamples[0] ? 1 : 0;
            part[sample] = best;
            wantSamples[best]--;
        }

        return [.. part.Select(p => p == 1)];
    }
}
