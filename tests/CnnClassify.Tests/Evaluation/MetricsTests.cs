using CnnClassify.Evaluation;
using CnnClassify.Runtime;

namespace CnnClassify.Tests.Evaluation;

/// <summary>Metrics on fixed predictions, against values worked out by hand with scikit-learn's definitions (zero_division=0).</summary>
public class MetricsTests
{
    // Classes A, B, C, D: C has no samples (no support) and D is never predicted.
    private static readonly string[] Names = ["A", "B", "C", "D"];
    private static readonly int[] Targets = [0, 0, 1, 1, 1, 3, 3];
    private static readonly int[] Predictions = [0, 1, 1, 1, 0, 0, 1];

    [Fact]
    public void Confusion_matrix_counts_true_rows_and_predicted_columns()
    {
        var matrix = new ConfusionMatrix(Targets, Predictions, Names);

        long[,] expected = { { 1, 1, 0, 0 }, { 1, 2, 0, 0 }, { 0, 0, 0, 0 }, { 1, 1, 0, 0 } };
        for (var t = 0; t < 4; t++)
        {
            for (var p = 0; p < 4; p++)
            {
                Assert.Equal(expected[t, p], matrix[t, p]);
            }
        }

        Assert.Equal(7, matrix.Total);
    }

    [Fact]
    public void Most_confused_lists_the_off_diagonal_cells_from_the_largest_with_their_share_of_the_true_class()
    {
        // cat: 5 right, 3 as dog, 1 as bird; dog: 2 as cat, 4 right; bird: 3 as dog, 1 right.
        int[] targets = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2];
        int[] predicted = [0, 0, 0, 0, 0, 1, 1, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2];
        var matrix = new ConfusionMatrix(targets, predicted, ["cat", "dog", "bird"]);

        var pairs = matrix.MostConfused();

        Assert.Equal([("cat", "dog", 3L), ("bird", "dog", 3L), ("dog", "cat", 2L), ("cat", "bird", 1L)], pairs.Select(p => (p.Actual, p.Predicted, p.Count)));
        Assert.Equal(3 / 9.0, pairs[0].ShareOfActual, 12);
        Assert.Equal(3 / 4.0, pairs[1].ShareOfActual, 12);
        Assert.Equal(3, matrix.MostConfused(minCount: 2).Count);
        Assert.Empty(new ConfusionMatrix([0, 1], [0, 1], ["a", "b"]).MostConfused());
        Assert.Throws<ArgumentOutOfRangeException>(() => matrix.MostConfused(0));
    }

    [Fact]
    public void Normalised_matrices_divide_by_rows_columns_or_all_and_leave_empty_ones_at_zero()
    {
        var matrix = new ConfusionMatrix(Targets, Predictions, Names);

        var byRow = matrix.Normalized(NormalizeOver.True);
        var byColumn = matrix.Normalized(NormalizeOver.Predicted);
        var byAll = matrix.Normalized(NormalizeOver.All);

        Assert.Equal([0.5, 0.5, 0, 0], Row(byRow, 0));
        Assert.Equal([0.0, 0, 0, 0], Row(byRow, 2)); // class C has no samples
        Assert.Equal(1.0 / 3, byColumn[1, 0], 12);
        Assert.Equal(0.0, byColumn[0, 3]); // D is never predicted
        Assert.Equal(2.0 / 7, byAll[1, 1], 12);
    }

    [Fact]
    public void Report_gives_per_class_and_averaged_precision_recall_f1_and_support()
    {
        var report = new ClassificationReport(new ConfusionMatrix(Targets, Predictions, Names));

        AssertMetrics(report.Classes[0], 1.0 / 3, 1.0 / 2, 0.4, 2);
        AssertMetrics(report.Classes[1], 2.0 / 4, 2.0 / 3, 4.0 / 7, 3);
        AssertMetrics(report.Classes[2], 0, 0, 0, 0); // no support: recall and F1 are 0, not NaN
        AssertMetrics(report.Classes[3], 0, 0, 0, 2); // never predicted: precision is 0
        Assert.Equal(3.0 / 7, report.Accuracy, 12);
        AssertMetrics(report.MacroAverage, (1.0 / 3 + 0.5) / 4, (0.5 + 2.0 / 3) / 4, (0.4 + 4.0 / 7) / 4, 7);
        AssertMetrics(report.WeightedAverage, ((2 * 1.0 / 3) + (3 * 0.5)) / 7, 3.0 / 7, ((2 * 0.4) + (3 * 4.0 / 7)) / 7, 7);
    }

    [Fact]
    public void Report_text_is_laid_out_as_scikit_learns_classification_report()
    {
        // The example of scikit-learn's classification_report documentation.
        var report = new ClassificationReport(new ConfusionMatrix([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], ["class 0", "class 1", "class 2"]));

        Assert.Equal(
            "              precision    recall  f1-score   support\n" +
            "\n" +
            "     class 0       0.50      1.00      0.67         1\n" +
            "     class 1       0.00      0.00      0.00         1\n" +
            "     class 2       1.00      0.67      0.80         3\n" +
            "\n" +
            "    accuracy                           0.60         5\n" +
            "   macro avg       0.50      0.56      0.49         5\n" +
            "weighted avg       0.70      0.60      0.61         5\n",
            report.ToString());
    }

    [Fact]
    public void Top_k_accuracy_counts_targets_among_the_k_most_probable()
    {
        var set = new PredictionSet(
            [[0.6f, 0.3f, 0.1f], [0.2f, 0.5f, 0.3f], [0.1f, 0.2f, 0.7f], [0.5f, 0.4f, 0.1f]],
            [0, 2, 0, 1],
            [10, 11, 12, 13],
            ["x", "y", "z"]);

        Assert.Equal(0.25, set.Accuracy);
        Assert.Equal(0.75, set.TopKAccuracy(2)); // sample 2's target is third
        Assert.Equal(1.0, set.TopKAccuracy(3));
    }

    [Fact]
    public void Top_losses_are_the_most_confidently_wrong_samples()
    {
        var set = new PredictionSet(
            [[0.6f, 0.3f, 0.1f], [0.2f, 0.5f, 0.3f], [0.1f, 0.2f, 0.7f], [0.5f, 0.4f, 0.1f]],
            [0, 2, 0, 1],
            [10, 11, 12, 13],
            ["x", "y", "z"]);

        var top = set.TopLosses(2);

        Assert.Equal([12, 11], top.Select(s => s.Index));
        Assert.Equal(-Math.Log(0.1), top[0].Loss, 5);
        Assert.Equal((0, 2, 0.7), (top[0].Target, top[0].Predicted, Math.Round(top[0].Confidence, 5)));
    }

    private static double[] Row(double[,] matrix, int row) => Enumerable.Range(0, matrix.GetLength(1)).Select(c => matrix[row, c]).ToArray();

    private static void AssertMetrics(ClassMetrics metrics, double precision, double recall, double f1, long support)
    {
        Assert.Equal(precision, metrics.Precision, 12);
        Assert.Equal(recall, metrics.Recall, 12);
        Assert.Equal(f1, metrics.F1, 12);
        Assert.Equal(support, metrics.Support);
    }
}
