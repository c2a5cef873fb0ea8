using CnnClassify.Inference;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Runtime;

/// <summary>
/// Multi-label classification: a sigmoid per class, binary cross-entropy by default, and every
/// class at or above its threshold predicted. Targets are multi-hot float32 [N, classes].
/// </summary>
internal sealed class MultiLabelTask : ClassificationTask
{
    private readonly double[]? _thresholds;

    public MultiLabelTask(IReadOnlyList<double>? thresholds)
    {
        if (thresholds is not null && thresholds.Any(t => !(t >= 0 && t <= 1)))
        {
            throw new ArgumentException("Each threshold must be a probability in [0, 1].", nameof(thresholds));
        }

        _thresholds = thresholds?.ToArray();
    }

    public override string Name => TaskNames.MultiLabel;

    public override LossFunction DefaultLoss => LossFunction.BinaryCrossEntropy();

    /// <summary>The threshold of class <paramref name="index"/>.</summary>
    public double Threshold(int index) => _thresholds is null ? TaskNames.DefaultThreshold : _thresholds[index];

    public override Tensor Activate(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        return logits.to(ScalarType.Float32).sigmoid();
    }

    public override IReadOnlyList<int> Predict(IReadOnlyList<float> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (_thresholds is not null && scores.Count != _thresholds.Length)
        {
            throw new ArgumentException($"Got {scores.Count} scores for a model with {_thresholds.Length} thresholds.", nameof(scores));
        }

        return [.. Enumerable.Range(0, scores.Count).Where(i => scores[i] >= Threshold(i)).OrderByDescending(i => scores[i]).ThenBy(i => i)];
    }

    public override Tensor MixedLoss(LossFunction loss, Tensor logits, Tensor targets, Tensor otherTargets, double share)
    {
        ArgumentNullException.ThrowIfNull(loss);
        return loss.ComputeMixed(logits, targets, otherTargets, share);
    }

    public override Tensor MetricTargets(Tensor targets, Tensor otherTargets, double share) => share >= 0.5 ? targets : otherTargets;

    public override TaskMetrics CreateMetrics() => new MultiLabelMetrics(this, keepRows: true);

    public override TaskMetrics CreateTrainingMetrics() => new MultiLabelMetrics(this, keepRows: false);

    public override Tensor ProbabilityLoss(Tensor probabilities, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(targets);
        using var scope = torch.NewDisposeScope();
        using var tiny = 1e-12.ToScalar();
        using var almostOne = (1 - 1e-7).ToScalar();
        return nn.functional.binary_cross_entropy(probabilities.to(ScalarType.Float32).clamp(tiny, almostOne), targets.to(ScalarType.Float32)).MoveToOuterDisposeScope();
    }

    // Subset accuracy, Hamming loss, samples F1 and each class's decision counts as sums that add
    // across processes, and, when the rows are kept, every class's average precision over them.
    private sealed class MultiLabelMetrics(MultiLabelTask task, bool keepRows) : TaskMetrics
    {
        private readonly List<float[]> _scores = [];
        private readonly List<bool[]> _targets = [];
        private double _exact;
        private double _mismatched;
        private double _cells;
        private double _samplesF1;
        private double[] _truePositives = [];
        private double[] _falsePositives = [];
        private double[] _falseNegatives = [];

        public override double Accuracy => Samples == 0 ? double.NaN : _exact / Samples;

        public override double? Top5Accuracy => null;

        public override double? MeanAveragePrecision
        {
            get
            {
                if (!keepRows)
                {
                    return null;
                }

                if (_scores.Count == 0)
                {
                    return double.NaN;
                }

                var classes = _scores[0].Length;
                return Enumerable.Range(0, classes).Average(c =>
                    RankingMetrics.AveragePrecision([.. _scores.Select(row => (double)row[c])], [.. _targets.Select(row => row[c])]));
            }
        }

        public override MultiLabelRows? Rows => keepRows ? new(_scores, _targets) : null;

        public override IReadOnlyDictionary<string, double> Values
        {
            get
            {
                if (Samples == 0)
                {
                    return new Dictionary<string, double>();
                }

                var tp = _truePositives.Sum();
                var values = new Dictionary<string, double>(StringComparer.Ordinal)
                {
                    [MicroF1] = Divide(2 * tp, (2 * tp) + _falsePositives.Sum() + _falseNegatives.Sum()),
                    [MacroF1] = Enumerable.Range(0, _truePositives.Length).Average(c => Divide(2 * _truePositives[c], (2 * _truePositives[c]) + _falsePositives[c] + _falseNegatives[c])),
                    [SamplesF1] = _samplesF1 / Samples,
                    [HammingLoss] = _mismatched / _cells,
                };
                if (MeanAveragePrecision is { } map)
                {
                    values[MeanAveragePrecisionName] = map;
                }

                return values;
            }
        }

        private protected override void Count(Tensor scores, Tensor targets)
        {
            using var scope = torch.NewDisposeScope();
            var rows = (int)scores.shape[0];
            var classes = (int)scores.shape[1];
            if (_truePositives.Length == 0)
            {
                (_truePositives, _falsePositives, _falseNegatives) = (new double[classes], new double[classes], new double[classes]);
            }

            var values = scores.to(ScalarType.Float32).cpu().data<float>().ToArray();
            var truth = targets.to(ScalarType.Float32).cpu().data<float>().ToArray();
            for (var r = 0; r < rows; r++)
            {
                var row = values.AsSpan(r * classes, classes).ToArray();
                var target = truth.AsSpan(r * classes, classes).ToArray().Select(t => t >= 0.5f).ToArray();
                int hits = 0, predicted = 0, actual = 0;
                for (var c = 0; c < classes; c++)
                {
                    var decided = row[c] >= task.Threshold(c);
                    (hits, predicted, actual) = (hits + (decided && target[c] ? 1 : 0), predicted + (decided ? 1 : 0), actual + (target[c] ? 1 : 0));
                    _truePositives[c] += decided && target[c] ? 1 : 0;
                    _falsePositives[c] += decided && !target[c] ? 1 : 0;
                    _falseNegatives[c] += !decided && target[c] ? 1 : 0;
                }

                var mismatched = predicted + actual - (2 * hits);
                _exact += mismatched == 0 ? 1 : 0;
                _mismatched += mismatched;
                _cells += classes;
                _samplesF1 += Divide(2 * hits, predicted + actual);
                if (keepRows)
                {
                    _scores.Add(row);
                    _targets.Add(target);
                }
            }
        }

        private protected override double[] Sums() => [_exact, _mismatched, _cells, _samplesF1, .. _truePositives, .. _falsePositives, .. _falseNegatives];

        private protected override void Restore(ReadOnlySpan<double> sums)
        {
            (_exact, _mismatched, _cells, _samplesF1) = (sums[0], sums[1], sums[2], sums[3]);
            var classes = (sums.Length - 4) / 3;
            _truePositives = sums.Slice(4, classes).ToArray();
            _falsePositives = sums.Slice(4 + classes, classes).ToArray();
            _falseNegatives = sums.Slice(4 + (2 * classes), classes).ToArray();
        }

        private static double Divide(double numerator, double denominator) => denominator == 0 ? 0 : numerator / denominator;
    }
}
