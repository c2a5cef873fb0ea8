using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Runtime;

/// <summary>
/// A task's metrics over the batches of one epoch or evaluation: each batch's scores and targets
/// go in, the accuracy (as the task defines it) comes out. The sums behind them add across
/// processes, so a data-parallel run reports the metrics of all its samples. Each task makes its
/// own (<see cref="ClassificationTask.CreateMetrics"/>).
/// </summary>
public abstract class TaskMetrics
{
    /// <summary>The samples counted so far.</summary>
    public long Samples { get; private set; }

    /// <summary>The task's accuracy over the samples counted; NaN before any.</summary>
    public abstract double Accuracy { get; }

    /// <summary>Top-5 accuracy, for tasks that rank classes; <see langword="null"/> for others.</summary>
    public abstract double? Top5Accuracy { get; }

    /// <summary>
    /// The mean over classes of each class's average precision (mAP), for multi-label tasks;
    /// <see langword="null"/> for others. It ranks the samples this process counted, which under
    /// data-parallel training is its own shard (validation runs whole on every process).
    /// </summary>
    public virtual double? MeanAveragePrecision => null;

    /// <summary>
    /// Every counted sample's scores and multi-hot targets, for tasks that keep them (multi-label,
    /// whose ranking metrics and thresholds need them); <see langword="null"/> for others.
    /// </summary>
    public virtual MultiLabelRows? Rows => null;

    /// <summary>
    /// The task's further metrics by name (<see cref="MicroF1"/>, <see cref="MacroF1"/>,
    /// <see cref="SamplesF1"/>, <see cref="HammingLoss"/>, <see cref="MeanAveragePrecisionName"/>
    /// for multi-label, at the model's thresholds, with scikit-learn's definitions); empty for
    /// tasks without. mAP is there only when the scores are kept (evaluation and validation).
    /// </summary>
    public virtual IReadOnlyDictionary<string, double> Values { get; } = new Dictionary<string, double>();

    /// <summary>The name of the micro-averaged F1 in <see cref="Values"/>.</summary>
    public const string MicroF1 = "micro_f1";

    /// <summary>The name of the macro-averaged F1 in <see cref="Values"/>.</summary>
    public const string MacroF1 = "macro_f1";

    /// <summary>The name of the samples-averaged F1 in <see cref="Values"/>.</summary>
    public const string SamplesF1 = "samples_f1";

    /// <summary>The name of the Hamming loss (the share of wrong decisions) in <see cref="Values"/>.</summary>
    public const string HammingLoss = "hamming_loss";

    /// <summary>The name of the mean average precision in <see cref="Values"/>.</summary>
    public const string MeanAveragePrecisionName = "mean_average_precision";

    /// <summary>Counts one batch.</summary>
    /// <param name="scores">[N, classes]: the task's activation of the logits (<see cref="ClassificationTask.Activate"/>).</param>
    /// <param name="targets">The batch's targets, as the task encodes them.</param>
    public void Add(Tensor scores, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(targets);
        using (torch.no_grad())
        {
            Count(scores, targets);
        }

        Samples += scores.shape[0];
    }

    /// <summary>Counts one batch's <paramref name="scores"/> against <paramref name="targets"/>.</summary>
    /// <param name="scores">[N, classes].</param>
    /// <param name="targets">The batch's targets.</param>
    private protected abstract void Count(Tensor scores, Tensor targets);

    /// <summary>The sums behind the metrics, samples first, to add across processes.</summary>
    internal double[] ToSums() => [Samples, .. Sums()];

    /// <summary>Takes the sums of all processes (as <see cref="ToSums"/> lays them out).</summary>
    internal void FromSums(ReadOnlySpan<double> sums)
    {
        Samples = (long)sums[0];
        Restore(sums[1..]);
    }

    /// <summary>The task's own sums.</summary>
    private protected abstract double[] Sums();

    /// <summary>Takes back the task's own sums.</summary>
    private protected abstract void Restore(ReadOnlySpan<double> sums);
}
