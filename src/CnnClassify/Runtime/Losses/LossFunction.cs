using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Runtime;

/// <summary>
/// A classification loss over logits [N, classes] and targets as the task encodes them (class
/// indices [N] for single-label, multi-hot [N, classes] for multi-label), averaged over the batch.
/// It is always computed in float32, also under mixed precision.
/// </summary>
public abstract class LossFunction
{
    /// <summary>A short description, such as <c>CrossEntropy(label_smoothing=0.1)</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Cross-entropy, optionally with per-class weights and label smoothing, as PyTorch's <c>F.cross_entropy</c>.</summary>
    /// <param name="classWeights">A weight per class for imbalanced data, such as <c>ClassStatistics.BalancedWeights</c>; <see langword="null"/> weighs classes equally.</param>
    /// <param name="labelSmoothing">Share of the target mass spread over all classes, in [0, 1).</param>
    public static LossFunction CrossEntropy(IReadOnlyList<double>? classWeights = null, double labelSmoothing = 0) =>
        new CrossEntropyLoss(classWeights, labelSmoothing);

    /// <summary>
    /// Focal loss (Lin et al., 2017): <c>alpha * (1 - p_t)^gamma * CE</c>, which down-weights
    /// examples the model already gets right.
    /// </summary>
    /// <param name="alpha">Overall weight, above 0.</param>
    /// <param name="gamma">Focusing exponent, at least 0; 0 gives weighted cross-entropy.</param>
    /// <param name="classWeights">Optional per-class weights.</param>
    public static LossFunction Focal(double alpha = 1.0, double gamma = 2.0, IReadOnlyList<double>? classWeights = null) =>
        new FocalLoss(alpha, gamma, classWeights);

    /// <summary>
    /// Binary cross-entropy on logits for multi-label targets, as PyTorch's
    /// <c>F.binary_cross_entropy_with_logits</c> (the mean over samples and classes), optionally
    /// with a weight on each class's positives and with label smoothing of the multi-hot targets.
    /// </summary>
    /// <param name="positiveWeights">A weight per class on its positive term (<c>pos_weight</c>), such as negatives over positives for rare labels; <see langword="null"/> for 1.</param>
    /// <param name="labelSmoothing">Moves each target toward one half: <c>y (1 - s) + s / 2</c>, with <c>s</c> in [0, 1).</param>
    public static LossFunction BinaryCrossEntropy(IReadOnlyList<double>? positiveWeights = null, double labelSmoothing = 0) =>
        new BinaryCrossEntropyLoss(positiveWeights, labelSmoothing);

    /// <summary>
    /// The asymmetric loss for multi-label data (Ridnik et al., 2021): a focal term on positives
    /// and a stronger one on negatives, whose probability is first shifted down by <paramref name="clip"/>
    /// so that easy negatives stop counting. Summed over classes, averaged over samples.
    /// </summary>
    /// <param name="gammaNegative">Focusing exponent of the negatives, at least 0.</param>
    /// <param name="gammaPositive">Focusing exponent of the positives, at least 0.</param>
    /// <param name="clip">Probability margin taken off the negatives, in [0, 1).</param>
    public static LossFunction Asymmetric(double gammaNegative = 4, double gammaPositive = 1, double clip = 0.05) =>
        new AsymmetricLoss(gammaNegative, gammaPositive, clip);

    /// <summary>The mean loss of <paramref name="logits"/> against <paramref name="targets"/>, in float32.</summary>
    /// <param name="logits">[N, classes], any floating type.</param>
    /// <param name="targets">[N] class indices, or [N, classes] multi-hot targets for the multi-label losses.</param>
    public Tensor Compute(Tensor logits, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        using var scope = torch.NewDisposeScope();
        return PerSample(logits.to(ScalarType.Float32), targets).MoveToOuterDisposeScope();
    }

    /// <summary>The loss for mixed samples (MixUp, CutMix): <c>lambda * L(a) + (1 - lambda) * L(b)</c>.</summary>
    /// <param name="logits">[N, classes].</param>
    /// <param name="targetsA">[N] class indices of the first images.</param>
    /// <param name="targetsB">[N] class indices of the second images.</param>
    /// <param name="lambda">The first images' share, in [0, 1].</param>
    public Tensor ComputeMixed(Tensor logits, Tensor targetsA, Tensor targetsB, double lambda)
    {
        using var scope = torch.NewDisposeScope();
        var a = Compute(logits, targetsA);
        var b = Compute(logits, targetsB);
        using var share = lambda.ToScalar();
        using var rest = (1 - lambda).ToScalar();
        return a.mul(share).add_(b.mul(rest), HeldScalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>The batch-mean loss of float32 logits.</summary>
    /// <param name="logits">[N, classes] in float32.</param>
    /// <param name="targets">[N] class indices.</param>
    private protected abstract Tensor PerSample(Tensor logits, Tensor targets);

    /// <inheritdoc />
    public override string ToString() => Name;

    private protected static Tensor? WeightTensor(IReadOnlyList<double>? weights, Tensor logits)
    {
        if (weights is null)
        {
            return null;
        }

        if (weights.Count != logits.shape[^1])
        {
            throw new ArgumentException($"The loss has {weights.Count} class weights but the model predicts {logits.shape[^1]} classes.");
        }

        return torch.tensor(weights.Select(w => (float)w).ToArray(), device: logits.device);
    }

    private protected static string Format(double value) => value.ToString("G", CultureInfo.InvariantCulture);

    private sealed class CrossEntropyLoss : LossFunction
    {
        private readonly IReadOnlyList<double>? _weights;
        private readonly double _smoothing;

        public CrossEntropyLoss(IReadOnlyList<double>? weights, double smoothing)
        {
            ValidateSmoothing(smoothing);
            ValidateWeights(weights);
            (_weights, _smoothing) = (weights?.ToArray(), smoothing);
        }

        public override string Name => $"CrossEntropy({(_weights is null ? string.Empty : "weighted, ")}label_smoothing={Format(_smoothing)})";

        private protected override Tensor PerSample(Tensor logits, Tensor targets) =>
            nn.functional.cross_entropy(logits, targets, WeightTensor(_weights, logits), label_smoothing: _smoothing);
    }

    private sealed class FocalLoss : LossFunction
    {
        private readonly double _alpha;
        private readonly double _gamma;
        private readonly IReadOnlyList<double>? _weights;

        public FocalLoss(double alpha, double gamma, IReadOnlyList<double>? weights)
        {
            if (!(alpha > 0) || !(gamma >= 0))
            {
                throw new ArgumentOutOfRangeException(nameof(alpha), $"Focal loss needs alpha > 0 and gamma >= 0; got alpha={alpha}, gamma={gamma}.");
            }

            ValidateWeights(weights);
            (_alpha, _gamma, _weights) = (alpha, gamma, weights?.ToArray());
        }

        public override string Name => $"Focal(alpha={Format(_alpha)}, gamma={Format(_gamma)})";

        private protected override Tensor PerSample(Tensor logits, Tensor targets)
        {
            var logProbabilities = nn.functional.log_softmax(logits, 1);
            var logPt = logProbabilities.gather(1, targets.unsqueeze(1)).squeeze(1);
            using var gamma = _gamma.ToScalar();
            using var alpha = _alpha.ToScalar();
            var focal = logPt.exp().neg().add_(HeldScalars.One, HeldScalars.One).pow(gamma).mul(logPt.neg()).mul_(alpha);
            if (WeightTensor(_weights, logits) is { } weights)
            {
                var sampleWeights = weights.index_select(0, targets);
                return (focal * sampleWeights).sum() / sampleWeights.sum();
            }

            return focal.mean();
        }
    }

    private sealed class BinaryCrossEntropyLoss : LossFunction
    {
        private readonly IReadOnlyList<double>? _positiveWeights;
        private readonly double _smoothing;

        public BinaryCrossEntropyLoss(IReadOnlyList<double>? positiveWeights, double smoothing)
        {
            ValidateSmoothing(smoothing);
            ValidateWeights(positiveWeights);
            (_positiveWeights, _smoothing) = (positiveWeights?.ToArray(), smoothing);
        }

        public override string Name => $"BinaryCrossEntropy({(_positiveWeights is null ? string.Empty : "pos_weight, ")}label_smoothing={Format(_smoothing)})";

        private protected override Tensor PerSample(Tensor logits, Tensor targets)
        {
            var soft = MultiHot(logits, targets);
            if (_smoothing > 0)
            {
                using var keep = (1 - _smoothing).ToScalar();
                using var half = (_smoothing / 2).ToScalar();
                soft = soft.mul(keep).add_(half, HeldScalars.One);
            }

            return nn.functional.binary_cross_entropy_with_logits(logits, soft, pos_weights: WeightTensor(_positiveWeights, logits));
        }
    }

    private sealed class AsymmetricLoss : LossFunction
    {
        private readonly double _gammaNegative;
        private readonly double _gammaPositive;
        private readonly double _clip;

        public AsymmetricLoss(double gammaNegative, double gammaPositive, double clip)
        {
            if (!(gammaNegative >= 0) || !(gammaPositive >= 0) || !(clip >= 0 && clip < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(gammaNegative), $"The asymmetric loss needs gammas >= 0 and a clip in [0, 1); got gamma_neg={gammaNegative}, gamma_pos={gammaPositive}, clip={clip}.");
            }

            (_gammaNegative, _gammaPositive, _clip) = (gammaNegative, gammaPositive, clip);
        }

        public override string Name => $"Asymmetric(gamma_neg={Format(_gammaNegative)}, gamma_pos={Format(_gammaPositive)}, clip={Format(_clip)})";

        private protected override Tensor PerSample(Tensor logits, Tensor targets)
        {
            var y = MultiHot(logits, targets);
            using var eps = 1e-8.ToScalar();
            using var clip = _clip.ToScalar();
            using var gammaPositive = _gammaPositive.ToScalar();
            using var gammaNegative = _gammaNegative.ToScalar();
            var p = logits.sigmoid();
            var shifted = p.sub(clip).clamp_min(HeldScalars.Zero);
            var positive = p.neg().add_(HeldScalars.One, HeldScalars.One).pow(gammaPositive).mul(p.clamp_min(eps).log()).mul(y);
            var negative = shifted.pow(gammaNegative).mul(shifted.neg().add_(HeldScalars.One, HeldScalars.One).clamp_min(eps).log()).mul(y.neg().add_(HeldScalars.One, HeldScalars.One));
            return positive.add_(negative, HeldScalars.One).sum(1).mean().neg();
        }
    }

    // Multi-hot float32 targets of the logits' shape, or a message naming the mismatch.
    private static Tensor MultiHot(Tensor logits, Tensor targets)
    {
        if (!targets.shape.SequenceEqual(logits.shape))
        {
            throw new ArgumentException($"A multi-label loss needs multi-hot targets of the logits' shape [{string.Join(", ", logits.shape)}]; got [{string.Join(", ", targets.shape)}].", nameof(targets));
        }

        return targets.to(ScalarType.Float32);
    }

    private static void ValidateSmoothing(double smoothing)
    {
        if (!(smoothing >= 0 && smoothing < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "Label smoothing must be in [0, 1).");
        }
    }

    private static void ValidateWeights(IReadOnlyList<double>? weights)
    {
        if (weights is not null && (weights.Count == 0 || weights.Any(w => !(w >= 0) || !double.IsFinite(w))))
        {
            throw new ArgumentException("Class weights must be finite and >= 0, one per class.", nameof(weights));
        }
    }
}
