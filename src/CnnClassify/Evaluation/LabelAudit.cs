using CnnClassify.Data;

namespace CnnClassify.Evaluation;

/// <summary>
/// Finds mislabelled samples with confident learning (Northcutt, Jiang and Chuang, 2021) from
/// out-of-sample class probabilities: predictions of a model that never trained on the samples,
/// either one trained on other data or, with <see cref="CrossValidate"/>, one model per fold.
/// </summary>
/// <remarks>
/// Each class's threshold is the mean probability of that class over the samples labelled with
/// it. A sample counts towards the confident joint at (given label, j), where j is its most
/// probable class among those whose probability reaches their threshold. The joint is calibrated
/// so that each row sums to its class's sample count; each off-diagonal cell (i, j) then names as
/// issues that many samples labelled i, those with the largest margin p(j) - p(i) (pruning by
/// noise rate). Every sample is ranked by self-confidence, the probability of its given label,
/// lowest first; issues first among equals.
/// </remarks>
/// <example><code>
/// var predictions = PredictionSet.Collect(model, new DataLoader(heldOut, model.Configuration.EvalTransform()));
/// var audit = LabelAudit.Find(predictions);
/// audit.SaveCsv("label_issues.csv", heldOut);
/// </code></example>
public static class LabelAudit
{
    /// <summary>Audits the labels behind out-of-sample predictions.</summary>
    /// <param name="outOfSample">Predictions of a model that did not train on these samples; their targets are the given labels.</param>
    /// <exception cref="ArgumentException">The predictions are empty or multi-label.</exception>
    public static LabelAuditResult Find(PredictionSet outOfSample)
    {
        ArgumentNullException.ThrowIfNull(outOfSample);
        if (outOfSample.Samples.Count == 0)
        {
            throw new ArgumentException("There are no predictions to audit.", nameof(outOfSample));
        }

        var classes = outOfSample.ClassNames.Count;
        var count = outOfSample.Samples.Count;
        var given = outOfSample.Targets;
        double P(int sample, int k) => outOfSample.Probabilities(sample)[k];

        // Per-class thresholds: the mean self-confidence of each class's samples.
        var thresholds = new double[classes];
        var perClass = new int[classes];
        for (var s = 0; s < count; s++)
        {
            thresholds[given[s]] += P(s, given[s]);
            perClass[given[s]]++;
        }

        for (var k = 0; k < classes; k++)
        {
            thresholds[k] = perClass[k] > 0 ? thresholds[k] / perClass[k] : double.PositiveInfinity;
        }

        // The confident joint, counts of (given, confidently predicted) pairs.
        var joint = new long[classes, classes];
        for (var s = 0; s < count; s++)
        {
            var best = -1;
            for (var k = 0; k < classes; k++)
            {
                if (P(s, k) >= thresholds[k] && (best < 0 || P(s, k) > P(s, best)))
                {
                    best = k;
                }
            }

            if (best >= 0)
            {
                joint[given[s], best]++;
            }
        }

        var issues = new HashSet<int>();
        for (var i = 0; i < classes; i++)
        {
            long rowTotal = 0;
            for (var j = 0; j < classes; j++)
            {
                rowTotal += joint[i, j];
            }

            if (rowTotal == 0)
            {
                continue;
            }

            var labelled = Enumerable.Range(0, count).Where(s => given[s] == i).ToList();
            for (var j = 0; j < classes; j++)
            {
                // The calibrated cell: the row rescaled to the class's sample count.
                var prune = i == j ? 0 : (int)Math.Round(joint[i, j] * (double)perClass[i] / rowTotal);
                if (prune == 0)
                {
                    continue;
                }

                foreach (var s in labelled.OrderByDescending(s => P(s, j) - P(s, i)).ThenBy(s => s).Take(Math.Min(prune, labelled.Count - 1)))
                {
                    issues.Add(s);
                }
            }
        }

        var ranked = Enumerable.Range(0, count)
            .OrderBy(s => P(s, given[s]))
            .ThenByDescending(s => issues.Contains(s))
            .ThenBy(s => outOfSample.Indices[s])
            .Select((s, rank) =>
            {
                var suggested = outOfSample.Samples[s].Predicted;
                return new LabelIssue(rank + 1, outOfSample.Indices[s], given[s], suggested, P(s, given[s]), P(s, suggested), issues.Contains(s));
            })
            .ToList();
        return new LabelAuditResult(ranked, thresholds, joint, outOfSample.ClassNames);
    }

    /// <summary>
    /// Out-of-fold predictions for every sample: the data is split into <paramref name="folds"/>
    /// class-stratified folds, and each fold is predicted by a model trained on the others.
    /// </summary>
    /// <param name="data">A single-label dataset.</param>
    /// <param name="folds">Number of folds, from 2 to 20.</param>
    /// <param name="seed">Seeds the assignment of samples to folds.</param>
    /// <param name="trainAndPredict">Trains a fresh model on its first argument and returns its predictions on the second (indices into that subset).</param>
    /// <returns>Predictions for every sample, in dataset order, with the given labels as targets.</returns>
    public static PredictionSet CrossValidate(IImageDataset data, int folds, int seed, Func<IImageDataset, IImageDataset, PredictionSet> trainAndPredict)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(trainAndPredict);
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(folds, 20);
        if (data.IsMultiLabel)
        {
            throw new ArgumentException("The label audit needs single-label data.", nameof(data));
        }

        if (data.Count < folds)
        {
            throw new ArgumentException($"{data.Count} samples cannot fill {folds} folds.", nameof(data));
        }

        var fold = Folds(data, folds, seed);
        var probabilities = new float[data.Count][];
        for (var f = 0; f < folds; f++)
        {
            var heldOut = new Subset(data, Enumerable.Range(0, data.Count).Where(i => fold[i] == f));
            var training = new Subset(data, Enumerable.Range(0, data.Count).Where(i => fold[i] != f));
            var predicted = trainAndPredict(training, heldOut);
            for (var s = 0; s < predicted.Samples.Count; s++)
            {
                probabilities[heldOut.Indices[predicted.Indices[s]]] = [.. predicted.Probabilities(s)];
            }
        }

        var kept = Enumerable.Range(0, data.Count).Where(i => probabilities[i] is not null).ToList();
        return new PredictionSet([.. kept.Select(i => probabilities[i])], [.. kept.Select(i => (int)data.LabelAt(i))], kept, data.Classes);
    }

    // Each class's samples shuffled and dealt round-robin, so every fold holds each class in proportion.
    private static int[] Folds(IImageDataset data, int folds, int seed)
    {
        var random = new Random(seed);
        var fold = new int[data.Count];
        var next = 0;
        foreach (var group in Enumerable.Range(0, data.Count).GroupBy(i => data.LabelAt(i)).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            random.Shuffle(members);
            foreach (var member in members)
            {
                fold[member] = next++ % folds;
            }
        }

        return fold;
    }
}
