namespace CnnClassify.Training;

/// <summary>
/// The suggestions of a range test, from the smoothed losses: as fastai does, the first tenth of
/// the planned steps and the last five recorded are left out where enough remain, since the loss
/// is still settling at the start and diverging at the end.
/// </summary>
internal static class LearningRateSuggestions
{
    public static LearningRateFinderResult From(IReadOnlyList<double> rates, IReadOnlyList<double> losses, int plannedSteps)
    {
        if (rates.Count == 0)
        {
            throw new InvalidOperationException("The range test recorded no step: the data gave no readable batch, or the first loss was not finite (then start at a lower rate).");
        }

        var skip = plannedSteps / 10;
        var (first, count) = rates.Count - skip - 5 >= 3 ? (skip, rates.Count - skip - 5) : (0, rates.Count);
        var r = rates.Skip(first).Take(count).ToArray();
        var l = losses.Skip(first).Take(count).ToArray();

        var steepest = 0;
        var slope = double.PositiveInfinity;
        for (var i = 0; i + 1 < r.Length; i++)
        {
            var s = (l[i + 1] - l[i]) / (Math.Log(r[i + 1]) - Math.Log(r[i]));
            if (s < slope)
            {
                (slope, steepest) = (s, i);
            }
        }

        var lowest = Array.IndexOf(l, l.Min());
        return new LearningRateFinderResult(rates, losses, At(r, l, r[Valley(l)]), At(r, l, r[steepest]), At(r, l, r[lowest] / 10));
    }

    // The longest run of ever-lower losses (a longest decreasing subsequence); the point two thirds along it.
    private static int Valley(double[] losses)
    {
        var lengths = new int[losses.Length];
        var (start, end) = (0, 0);
        for (var i = 0; i < losses.Length; i++)
        {
            lengths[i] = 1;
            for (var j = 0; j < i; j++)
            {
                if (losses[i] < losses[j] && lengths[j] + 1 > lengths[i])
                {
                    lengths[i] = lengths[j] + 1;
                }
            }

            if (lengths[i] > lengths[end])
            {
                (end, start) = (i, i - lengths[i]);
            }
        }

        var third = (end - start) / 3.0;
        return Math.Clamp(start + (int)third + (int)(third / 2), 0, losses.Length - 1);
    }

    private static LearningRateSuggestion At(double[] rates, double[] losses, double rate)
    {
        var nearest = 0;
        for (var i = 1; i < rates.Length; i++)
        {
            if (Math.Abs(Math.Log(rates[i] / rate)) < Math.Abs(Math.Log(rates[nearest] / rate)))
            {
                nearest = i;
            }
        }

        return new LearningRateSuggestion(rate, losses[nearest]);
    }
}
