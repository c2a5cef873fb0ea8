using CnnClassify.Inference;
using CnnClassify.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Runtime;

/// <summary>
/// What makes a problem the kind of classification it is: how the head's outputs become scores
/// (<see cref="Activate"/>) and predictions (<see cref="Predict"/>), the loss trained by default,
/// how targets are mixed for MixUp and CutMix, and the metrics that say how well it goes. The
/// trainer, evaluation, the predictors and the report ask the task; none of them assumes one.
/// A model's description records its task by name (<see cref="ModelConfiguration.Task"/>).
/// </summary>
public abstract class ClassificationTask
{
    /// <summary>One class per image (softmax over the classes, cross-entropy, top-k accuracy).</summary>
    public static ClassificationTask SingleLabel => SingleLabelTask.Instance;

    /// <summary>
    /// Any number of classes per image: a sigmoid per class, binary cross-entropy, and every class
    /// whose probability reaches its threshold predicted. Targets are multi-hot [N, classes].
    /// </summary>
    /// <param name="thresholds">One decision threshold per class; <see langword="null"/> for <see cref="TaskNames.DefaultThreshold"/> everywhere.</param>
    /// <exception cref="ArgumentException">A threshold is not a probability in [0, 1].</exception>
    public static ClassificationTask MultiLabel(IReadOnlyList<double>? thresholds = null) => new MultiLabelTask(thresholds);

    /// <summary>The name the model's description records, such as <c>single-label</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The loss a trainer uses when none is chosen.</summary>
    public abstract LossFunction DefaultLoss { get; }

    /// <summary>The task a model description records.</summary>
    /// <param name="configuration">The description.</param>
    /// <exception cref="InvalidDataException">The recorded task is not one this version knows.</exception>
    public static ClassificationTask For(ModelConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return TaskNames.Check(configuration.Task, "the model's description") switch
        {
            TaskNames.MultiLabel => MultiLabel(configuration.Thresholds),
            _ => SingleLabel,
        };
    }

    /// <summary>The scores of <paramref name="logits"/> [N, classes], in float32: probabilities for single-label.</summary>
    /// <param name="logits">The head's outputs.</param>
    public abstract Tensor Activate(Tensor logits);

    /// <summary>The classes predicted from one sample's scores, best first.</summary>
    /// <param name="scores">One row of <see cref="Activate"/>'s result.</param>
    public abstract IReadOnlyList<int> Predict(IReadOnlyList<float> scores);

    /// <summary>
    /// The loss of a batch whose inputs were mixed: <paramref name="share"/> of each sample is the
    /// one with <paramref name="targets"/>, the rest the one with <paramref name="otherTargets"/>.
    /// </summary>
    /// <param name="loss">The trainer's loss.</param>
    /// <param name="logits">The head's outputs for the mixed inputs.</param>
    /// <param name="targets">The targets of the first samples.</param>
    /// <param name="otherTargets">The targets of the samples mixed in.</param>
    /// <param name="share">The first samples' share, in [0, 1].</param>
    public abstract Tensor MixedLoss(LossFunction loss, Tensor logits, Tensor targets, Tensor otherTargets, double share);

    /// <summary>The targets the metrics count for a mixed batch.</summary>
    /// <param name="targets">The targets of the first samples.</param>
    /// <param name="otherTargets">The targets of the samples mixed in.</param>
    /// <param name="share">The first samples' share, in [0, 1].</param>
    public abstract Tensor MetricTargets(Tensor targets, Tensor otherTargets, double share);

    /// <summary>A fresh accumulator of this task's metrics, for one evaluation (or validation).</summary>
    public abstract TaskMetrics CreateMetrics();

    /// <summary>
    /// A fresh accumulator of the metrics of one training epoch: those whose sums add across
    /// processes, without what only evaluation reports (a multi-label model's scores, kept for mAP
    /// and thresholds, would grow with the training set).
    /// </summary>
    public virtual TaskMetrics CreateTrainingMetrics() => CreateMetrics();

    /// <summary>The mean loss of scores that are already probabilities (an ensemble averaging them), in float32.</summary>
    /// <param name="probabilities">[N, classes], as <see cref="Activate"/> gives them.</param>
    /// <param name="targets">The batch's targets.</param>
    public abstract Tensor ProbabilityLoss(Tensor probabilities, Tensor targets);

    /// <inheritdoc />
    public override string ToString() => Name;

    private sealed class SingleLabelTask : ClassificationTask
    {
        public static readonly SingleLabelTask Instance = new();

        public override string Name => TaskNames.SingleLabel;

        public override LossFunction DefaultLoss => LossFunction.CrossEntropy();

        public override Tensor Activate(Tensor logits)
        {
            ArgumentNullException.ThrowIfNull(logits);
            return logits.to(ScalarType.Float32).softmax(1);
        }

        public override IReadOnlyList<int> Predict(IReadOnlyList<float> scores)
        {
            ArgumentNullException.ThrowIfNull(scores);
            var best = 0;
            for (var i = 1; i < scores.Count; i++)
            {
                if (scores[i] > scores[best])
                {
                    best = i;
                }
            }

            return scores.Count == 0 ? [] : [best];
        }

        public override Tensor MixedLoss(LossFunction loss, Tensor logits, Tensor targets, Tensor otherTargets, double share)
        {
            ArgumentNullException.ThrowIfNull(loss);
            return loss.ComputeMixed(logits, targets, otherTargets, share);
        }

        public override Tensor MetricTargets(Tensor targets, Tensor otherTargets, double share) => share >= 0.5 ? targets : otherTargets;

        public override TaskMetrics CreateMetrics() => new TopKMetrics();

        public override Tensor ProbabilityLoss(Tensor probabilities, Tensor targets)
        {
            ArgumentNullException.ThrowIfNull(probabilities);
            using var scope = torch.NewDisposeScope();
            using var tiny = 1e-12.ToScalar();
            return nn.functional.nll_loss(probabilities.to(ScalarType.Float32).clamp_min(tiny).log(), targets).MoveToOuterDisposeScope();
        }
    }

    // Top-1 and top-5 hits over class-index targets: a sample is a hit at k when fewer than k
    // classes score strictly higher than its target.
    private sealed class TopKMetrics : TaskMetrics
    {
        private double _top1;
        private double _top5;

        public override double Accuracy => Samples == 0 ? double.NaN : _top1 / Samples;

        public override double? Top5Accuracy => Samples == 0 ? double.NaN : _top5 / Samples;

        private protected override void Count(Tensor scores, Tensor targets)
        {
            _top1 += Hits(scores, targets, 1);
            _top5 += Hits(scores, targets, 5);
        }

        private protected override double[] Sums() => [_top1, _top5];

        private protected override void Restore(ReadOnlySpan<double> sums) => (_top1, _top5) = (sums[0], sums[1]);

        private static long Hits(Tensor scores, Tensor labels, int k)
        {
            using var scope = torch.NewDisposeScope();
            using var limit = k.ToScalar();
            var target = scores.gather(1, labels.unsqueeze(1));
            return scores.gt(target).sum(1).lt(limit).sum().item<long>();
        }
    }
}
