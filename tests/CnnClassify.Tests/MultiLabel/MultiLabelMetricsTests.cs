using System.Globalization;
using System.Text;
using CnnClassify.Evaluation;
using CnnClassify.Runtime;

namespace CnnClassify.Tests.MultiLabel;

/// <summary>Multi-label metrics against scikit-learn's definitions and hand-computed values.</summary>
public sealed class MultiLabelMetricsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-mlmetrics-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Average_precision_is_the_step_sum_over_distinct_scores_with_ties_as_one_step()
    {
        // Scores 0.9 (pos), 0.8 (neg), 0.8 (pos), 0.3 (neg), 0.1 (pos): steps at 0.9 (R 1/3, P 1), 0.8 (R 2/3, P 2/3), 0.1 (R 1, P 3/5).
        double[] scores = [0.9, 0.8, 0.8, 0.3, 0.1];
        bool[] positives = [true, false, true, false, true];

        Assert.Equal((1.0 / 3) + ((1.0 / 3) * (2.0 / 3)) + ((1.0 / 3) * (3.0 / 5)), RankingMetrics.AveragePrecision(scores, positives), 12);
        Assert.Equal(0, RankingMetrics.AveragePrecision(scores, [false, false, false, false, false]));
    }

    [Fact]
    public void The_precision_recall_curve_has_one_point_per_distinct_score_from_the_highest()
    {
        double[] scores = [0.9, 0.8, 0.8, 0.3, 0.1];
        bool[] positives = [true, false, true, false, true];

        var curve = RankingMetrics.PrecisionRecallCurve(scores, positives);

        Assert.Equal([0.9, 0.8, 0.3, 0.1], curve.Select(p => p.Threshold));
        Assert.Equal([1, 2.0 / 3, 2.0 / 4, 3.0 / 5], curve.Select(p => p.Precision));
        Assert.Equal([1.0 / 3, 2.0 / 3, 2.0 / 3, 1], curve.Select(p => p.Recall));
        Assert.Empty(RankingMetrics.PrecisionRecallCurve(scores, [false, false, false, false, false]));
    }

    [Fact]
    public void Roc_auc_counts_each_positive_above_a_negative_as_one_and_a_tie_as_a_half()
    {
        double[] scores = [0.9, 0.8, 0.8, 0.3, 0.1];
        bool[] positives = [true, false, true, false, true];

        // Pairs (positive, negative): 0.9 beats both; 0.8 ties 0.8 and beats 0.3; 0.1 loses both: (2 + 1.5 + 0) / 6.
        Assert.Equal(3.5 / 6, RankingMetrics.RocAuc(scores, positives), 12);
        Assert.True(double.IsNaN(RankingMetrics.RocAuc(scores, [true, true, true, true, true])));
    }

    [Fact]
    public void Per_class_thresholds_maximise_each_labels_f1_and_fall_halfway_to_the_next_lower_score()
    {
        // Label 0: accepting down to 0.6 gives F1 = 2*2/(2+2) = 1. Label 1 has no positives and keeps the fallback.
        var rows = new MultiLabelRows([[0.9f, 0.2f], [0.6f, 0.1f], [0.4f, 0.3f], [0.1f, 0.8f]], [[true, false], [true, false], [false, false], [false, false]]);

        var thresholds = DecisionThresholds.MaximizeF1PerClass(rows);

        Assert.Equal((0.6 + 0.4) / 2, thresholds[0], 6);
        Assert.Equal(0.5, thresholds[1]);
        Assert.Equal([(double)((0.6f + 0.4f) / 2), (0.6f + 0.4f) / 2], DecisionThresholds.MaximizeMicroF1(rows), (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [SkippableFact]
    public void Every_metric_equals_scikit_learns_on_data_with_ties_empty_rows_and_a_label_without_positives()
    {
        var random = new Random(5);
        string[] names = ["a", "b", "c", "never"];
        double[] thresholds = [0.5, 0.35, 0.6, 0.5];
        var probabilities = new List<float[]>();
        var targets = new List<bool[]>();
        for (var i = 0; i < 60; i++)
        {
            var truth = new[] { random.NextDouble() < 0.5, random.NextDouble() < 0.3, random.NextDouble() < 0.2, false };
            targets.Add(truth);

            // Scores on a coarse grid, so that many tie; positives tend to score higher.
            probabilities.Add([.. truth.Select(t => (float)(Math.Round(Math.Clamp((t ? 0.35 : 0) + (random.NextDouble() * 0.65), 0, 1) * 10) / 10))]);
        }

        var set = new MultiLabelPredictionSet(probabilities, targets, [.. Enumerable.Range(0, 60)], names, thresholds);
        Write(set);

        ScikitLearnReference.AssertAgrees(_dir, atLeast: 40);
        Assert.Contains(Enumerable.Range(0, 60), i => set.TrueLabels(i).Count == 0 && set.PredictedLabels(i).Count == 0);
    }

    // metrics.json and predictions.csv as 'cnnclassify evaluate' lays them out.
    private void Write(MultiLabelPredictionSet set)
    {
        File.WriteAllText(Path.Combine(_dir, "metrics.json"), set.Report().ToJson(set.Thresholds).ToJsonString(new System.Text.Json.JsonSerializerOptions
        {
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        }));
        var csv = new StringBuilder("index,image,true,predicted");
        csv.Append(string.Concat(set.ClassNames.Select(n => $",p_{n}"))).Append('\n');
        for (var i = 0; i < set.Count; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{i},,{string.Join(';', set.TrueLabels(i).Select(c => set.ClassNames[c]))},{string.Join(';', set.PredictedLabels(i).Select(c => set.ClassNames[c]))}");
            csv.Append(string.Concat(set.Probabilities(i).Select(p => "," + p.ToString("R", CultureInfo.InvariantCulture)))).Append('\n');
        }

        File.WriteAllText(Path.Combine(_dir, "predictions.csv"), csv.ToString());
    }
}
