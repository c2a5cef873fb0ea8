using CnnClassify.Inference;
using CnnClassify.Models;
using CnnClassify.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Runtime;

public class ClassificationTaskTests
{
    private static readonly ClassificationTask Task = ClassificationTask.SingleLabel;

    [Fact]
    public void Single_label_scores_are_the_softmax_of_the_logits_in_float32()
    {
        using var logits = torch.tensor(new float[] { 1, 2, 3, -1, 0, 1 }, [2, 3]).to(ScalarType.BFloat16);

        using var scores = Task.Activate(logits);

        Assert.Equal(ScalarType.Float32, scores.dtype);
        var row = scores[0].data<float>().ToArray();
        var sum = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        Assert.Equal(Math.Exp(3) / sum, row[2], 5);
        Assert.Equal(Math.Exp(1) / sum, row[0], 5);
    }

    [Fact]
    public void Single_label_predicts_the_highest_score_and_the_first_of_a_tie()
    {
        Assert.Equal([2], Task.Predict([0.1f, 0.2f, 0.7f]));
        Assert.Equal([1], Task.Predict([0.1f, 0.45f, 0.45f]));
        Assert.Empty(Task.Predict([]));
    }

    [Fact]
    public void Single_label_weighs_a_mixed_loss_by_share_and_counts_the_larger_share()
    {
        using var logits = torch.tensor(new float[] { 2.0f, 0.5f, -1.0f, 0.1f, 0.2f, 3.0f }, [2, 3]);
        using var first = torch.tensor(new long[] { 0, 1 });
        using var second = torch.tensor(new long[] { 2, 2 });
        var loss = LossFunction.CrossEntropy();

        using var mixed = Task.MixedLoss(loss, logits, first, second, 0.3);

        using var a = loss.Compute(logits, first);
        using var b = loss.Compute(logits, second);
        Assert.Equal(0.3 * a.item<float>() + 0.7 * b.item<float>(), mixed.item<float>(), 5);
        Assert.Same(second, Task.MetricTargets(first, second, 0.3));
        Assert.Same(first, Task.MetricTargets(first, second, 0.5));
    }

    [Fact]
    public void Single_label_metrics_count_top_1_and_top_5_hits_with_ties_for_the_target()
    {
        var metrics = Task.CreateMetrics();
        // Six classes. Row 0: target 0 is best (top-1 hit). Row 1: target 1 is sixth (no hit).
        // Row 2: target 2 ties the best (hit: nothing scores strictly higher).
        using var scores = torch.tensor(new float[]
        {
            9, 1, 2, 3, 4, 5,
            9, 0, 2, 3, 4, 5,
            1, 1, 5, 5, 0, 0,
        }, [3, 6]);
        using var targets = torch.tensor(new long[] { 0, 1, 2 });

        metrics.Add(scores, targets);

        Assert.Equal(3, metrics.Samples);
        Assert.Equal(2.0 / 3, metrics.Accuracy, 12);
        Assert.Equal(2.0 / 3, metrics.Top5Accuracy!.Value, 12);
        using var second = torch.tensor(new float[] { 0, 1, 2, 3, 4, 5 }, [1, 6]);
        metrics.Add(second, torch.tensor(new long[] { 1 }));
        // Class 1 is fifth of six: a top-5 hit, not a top-1 hit.
        Assert.Equal(2.0 / 4, metrics.Accuracy, 12);
        Assert.Equal(3.0 / 4, metrics.Top5Accuracy!.Value, 12);
    }

    [Fact]
    public void Metrics_with_no_samples_are_not_a_number()
    {
        var metrics = Task.CreateMetrics();

        Assert.True(double.IsNaN(metrics.Accuracy));
        Assert.Equal(0, metrics.Samples);
    }

    [Fact]
    public void A_model_description_names_its_task_and_an_unknown_one_is_refused()
    {
        var configuration = new ModelConfiguration { NumClasses = 2, InputHeight = 8, InputWidth = 8 };

        Assert.Equal(TaskNames.SingleLabel, configuration.Task);
        Assert.Same(Task, ClassificationTask.For(configuration));
        var json = configuration.ToJson();
        Assert.Equal("single-label", json["task"]!.GetValue<string>());

        var unknown = configuration with { Task = "\u001b[2Jsegmentation" };
        var error = Assert.Throws<InvalidDataException>(() => unknown.Validate("model.ckpt"));
        Assert.Contains("'model.ckpt'", error.Message, StringComparison.Ordinal);
        Assert.Contains("\\x1b[2Jsegmentation", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => ClassificationTask.For(unknown));
    }

    [Fact]
    public void A_description_without_a_task_reads_as_single_label()
    {
        var json = new ModelConfiguration { NumClasses = 2, InputHeight = 8, InputWidth = 8 }.ToJson().AsObject();
        json.Remove("task");

        var read = ModelConfiguration.FromJson(json, "old.ckpt");

        Assert.Equal(TaskNames.SingleLabel, read.Task);
    }
}
