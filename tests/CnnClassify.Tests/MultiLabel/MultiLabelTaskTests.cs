using CnnClassify.Models;
using CnnClassify.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.MultiLabel;

/// <summary>The multi-label task: its activation, decisions, losses and where its description goes.</summary>
public sealed class MultiLabelTaskTests
{
    private static readonly float[] Logits = [2.0f, -1.0f, 0.3f, -3.0f, 0.0f, 4.0f];
    private static readonly float[] Targets = [1, 0, 1, 0, 0, 1];

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void Predicts_every_class_at_or_above_its_threshold_most_probable_first()
    {
        var task = ClassificationTask.MultiLabel([0.5, 0.2, 0.9]);

        Assert.Equal([2, 0], task.Predict([0.7f, 0.1f, 0.95f]));
        Assert.Equal([1], task.Predict([0.4999f, 0.2f, 0.1f]));
        Assert.Empty(task.Predict([0.1f, 0.1f, 0.1f]));
        Assert.Equal("multi-label", ClassificationTask.For(new ModelConfiguration { NumClasses = 3, Task = "multi-label" }).Name);
    }

    [Fact]
    public void Binary_cross_entropy_with_pos_weight_and_label_smoothing_matches_the_formula()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.tensor(Logits, [2, 3]);
        var targets = torch.tensor(Targets, [2, 3]);
        double[] weights = [2.0, 1.0, 0.5];
        const double smoothing = 0.2;

        var loss = LossFunction.BinaryCrossEntropy(weights, smoothing).Compute(logits, targets).item<float>();

        var expected = Enumerable.Range(0, 6).Average(i =>
        {
            var y = (Targets[i] * (1 - smoothing)) + (smoothing / 2);
            var p = Sigmoid(Logits[i]);
            return -((weights[i % 3] * y * Math.Log(p)) + ((1 - y) * Math.Log(1 - p)));
        });
        Assert.Equal(expected, loss, 5);
    }

    [Fact]
    public void The_asymmetric_loss_matches_the_papers_formula_summed_over_classes_and_averaged_over_samples()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.tensor(Logits, [2, 3]);
        var targets = torch.tensor(Targets, [2, 3]);

        var loss = LossFunction.Asymmetric(gammaNegative: 4, gammaPositive: 1, clip: 0.05).Compute(logits, targets).item<float>();

        var expected = Enumerable.Range(0, 6).Sum(i =>
        {
            var p = Sigmoid(Logits[i]);
            var shifted = Math.Max(p - 0.05, 0);
            return Targets[i] == 1 ? -Math.Pow(1 - p, 1) * Math.Log(p) : -Math.Pow(shifted, 4) * Math.Log(1 - shifted);
        }) / 2;
        Assert.Equal(expected, loss, 5);
    }

    [Fact]
    public void Its_metrics_count_f1_averages_hamming_loss_and_subset_accuracy_at_the_thresholds_and_add_across_processes()
    {
        using var scope = torch.NewDisposeScope();
        var task = ClassificationTask.MultiLabel();
        var metrics = task.CreateMetrics();
        var other = task.CreateTrainingMetrics();

        // Decided [1,0,1], [0,1,0], [0,0,0], [1,0,0] against [1,0,0], [0,1,1], [0,0,0], [1,0,0]:
        // per label TP/FP/FN 2/0/0, 1/0/0, 0/1/1; per row F1 2/3, 2/3, 0 (nothing either way), 1.
        metrics.Add(torch.tensor(new float[] { 0.9f, 0.2f, 0.6f, 0.1f, 0.7f, 0.4f }, [2, 3]), torch.tensor(new float[] { 1, 0, 0, 0, 1, 1 }, [2, 3]));
        other.Add(torch.tensor(new float[] { 0.3f, 0.2f, 0.1f, 0.8f, 0.1f, 0.1f }, [2, 3]), torch.tensor(new float[] { 0, 0, 0, 1, 0, 0 }, [2, 3]));
        var sums = metrics.ToSums().Zip(other.ToSums(), (a, b) => a + b).ToArray();
        metrics.FromSums(sums);

        Assert.Equal(4, metrics.Samples);
        Assert.Equal(0.5, metrics.Accuracy, 12);
        Assert.Equal(6.0 / 8, metrics.Values[TaskMetrics.MicroF1], 12);
        Assert.Equal(2.0 / 3, metrics.Values[TaskMetrics.MacroF1], 12);
        Assert.Equal(7.0 / 12, metrics.Values[TaskMetrics.SamplesF1], 12);
        Assert.Equal(2.0 / 12, metrics.Values[TaskMetrics.HammingLoss], 12);
        Assert.Null(other.MeanAveragePrecision);
        Assert.Null(other.Rows);
    }

    [Fact]
    public void A_mixed_batch_loses_as_much_as_binary_cross_entropy_against_the_mixed_multi_hot_targets()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.tensor(Logits, [2, 3]);
        var first = torch.tensor(Targets, [2, 3]);
        var second = torch.tensor(new float[] { 0, 1, 0, 1, 1, 0 }, [2, 3]);
        var task = ClassificationTask.MultiLabel();
        using var share = 0.3.ToScalar();
        using var rest = 0.7.ToScalar();

        var mixed = task.MixedLoss(task.DefaultLoss, logits, first, second, 0.3).item<float>();
        var soft = task.DefaultLoss.Compute(logits, first.mul(share).add(second.mul(rest))).item<float>();

        Assert.Equal(soft, mixed, 5);
        Assert.Same(first, task.MetricTargets(first, second, 0.7));
    }

    [Fact]
    public void A_multi_label_loss_names_targets_that_are_class_indices()
    {
        using var scope = torch.NewDisposeScope();

        var error = Assert.Throws<ArgumentException>(() => LossFunction.BinaryCrossEntropy().Compute(torch.zeros(2, 3), torch.tensor(new long[] { 0, 2 })));

        Assert.Contains("multi-hot targets of the logits' shape [2, 3]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Thresholds_that_do_not_fit_the_classes_make_a_description_inconsistent()
    {
        var configuration = new ModelConfiguration { NumClasses = 3, Task = "multi-label", Thresholds = [0.5, 0.4] };

        var error = Assert.Throws<InvalidDataException>(() => ModelConfiguration.FromJson(configuration.ToJson(), "model.json"));

        Assert.Contains("it gives 2 thresholds for 3 classes", error.Message, StringComparison.Ordinal);
        Assert.Equal([0.25, 1, 0], ModelConfiguration.FromJson((configuration with { Thresholds = [0.25, 1, 0] }).ToJson(), "model.json").Thresholds);
        Assert.DoesNotContain("thresholds", new ModelConfiguration { NumClasses = 3 }.ToJson().ToJsonString(), StringComparison.Ordinal);
    }
}
