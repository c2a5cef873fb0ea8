using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// Mixes each image of a batch with another image of the same batch, and their labels in the
/// same proportion: MixUp (Zhang et al., 2018) blends whole images, CutMix (Yun et al., 2019)
/// pastes a rectangle. The loss becomes <c>lambda * L(a) + (1 - lambda) * L(b)</c>.
/// </summary>
public abstract class BatchMixer
{
    private protected BatchMixer(double alpha, double probability)
    {
        if (!(alpha > 0) || !(probability >= 0 && probability <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), $"Need alpha > 0 and probability in [0, 1]; got alpha={alpha}, probability={probability}.");
        }

        (Alpha, Probability) = (alpha, probability);
    }

    /// <summary>The Beta(alpha, alpha) parameter that spreads the mixing proportion.</summary>
    public double Alpha { get; }

    /// <summary>Chance that a batch is mixed.</summary>
    public double Probability { get; }

    /// <summary>MixUp: <c>lambda * x + (1 - lambda) * x[perm]</c> with lambda ~ Beta(alpha, alpha).</summary>
    /// <param name="alpha">Beta parameter, above 0 (0.2 is common).</param>
    /// <param name="probability">Chance that a batch is mixed.</param>
    public static BatchMixer MixUp(double alpha = 0.2, double probability = 1.0) => new MixUpMixer(alpha, probability);

    /// <summary>CutMix: a rectangle covering about <c>1 - lambda</c> of each image is replaced by another image's.</summary>
    /// <param name="alpha">Beta parameter, above 0 (1.0 is common).</param>
    /// <param name="probability">Chance that a batch is mixed.</param>
    public static BatchMixer CutMix(double alpha = 1.0, double probability = 1.0) => new CutMixMixer(alpha, probability);

    /// <summary>Mixes a batch.</summary>
    /// <param name="images">[N, C, H, W].</param>
    /// <param name="labels">[N] class indices.</param>
    /// <param name="random">The source of randomness for this batch.</param>
    /// <returns>The mixed images, the second labels and lambda (the first labels' share); lambda 1 and the same labels when the batch is left alone.</returns>
    public (Tensor Images, Tensor OtherLabels, double Lambda) Mix(Tensor images, Tensor labels, Random random)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(random);
        if (random.NextDouble() >= Probability)
        {
            return (images.alias(), labels.alias(), 1.0);
        }

        var order = Enumerable.Range(0, (int)images.shape[0]).Select(i => (long)i).ToArray();
        random.Shuffle(order);
        using var permutation = torch.tensor(order, device: images.device);
        var lambda = SampleBeta(random, Alpha);
        return Apply(images, permutation, labels.index_select(0, permutation), lambda, random);
    }

    private protected abstract (Tensor Images, Tensor OtherLabels, double Lambda) Apply(Tensor images, Tensor permutation, Tensor otherLabels, double lambda, Random random);

    private static double SampleBeta(Random random, double alpha)
    {
        var x = SampleGamma(random, alpha);
        var y = SampleGamma(random, alpha);
        return x / (x + y);
    }

    // Marsaglia and Tsang (2000); shape < 1 via the boost x * U^(1/shape).
    private static double SampleGamma(Random random, double shape)
    {
        if (shape < 1)
        {
            return SampleGamma(random, shape + 1) * Math.Pow(random.NextDouble(), 1 / shape);
        }

        var d = shape - (1.0 / 3);
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                var u1 = 1 - random.NextDouble();
                var u2 = random.NextDouble();
                x = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                v = 1 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            var u = random.NextDouble();
            if (u < 1 - (0.0331 * x * x * x * x) || Math.Log(u) < (0.5 * x * x) + (d * (1 - v + Math.Log(v))))
            {
                return d * v;
            }
        }
    }

    private sealed class MixUpMixer(double alpha, double probability) : BatchMixer(alpha, probability)
    {
        private protected override (Tensor Images, Tensor OtherLabels, double Lambda) Apply(Tensor images, Tensor permutation, Tensor otherLabels, double lambda, Random random)
        {
            using var shuffled = images.index_select(0, permutation);
            using var share = lambda.ToScalar();
            using var rest = (1 - lambda).ToScalar();
            return (images.mul(share).add_(shuffled.mul(rest), HeldScalars.One), otherLabels, lambda);
        }
    }

    private sealed class CutMixMixer(double alpha, double probability) : BatchMixer(alpha, probability)
    {
        private protected override (Tensor Images, Tensor OtherLabels, double Lambda) Apply(Tensor images, Tensor permutation, Tensor otherLabels, double lambda, Random random)
        {
            var (h, w) = (images.shape[2], images.shape[3]);
            var cut = Math.Sqrt(1 - lambda);
            var (cutH, cutW) = ((long)(h * cut), (long)(w * cut));
            var (cy, cx) = (random.NextInt64(h), random.NextInt64(w));
            var (top, bottom) = (Math.Clamp(cy - (cutH / 2), 0, h), Math.Clamp(cy + (cutH / 2), 0, h));
            var (left, right) = (Math.Clamp(cx - (cutW / 2), 0, w), Math.Clamp(cx + (cutW / 2), 0, w));
            var mixed = images.clone();
            if (bottom > top && right > left)
            {
                using var scope = torch.NewDisposeScope();
                var patch = images.index_select(0, permutation).narrow(2, top, bottom - top).narrow(3, left, right - left);
                mixed.narrow(2, top, bottom - top).narrow(3, left, right - left).copy_(patch);
            }

            var area = (double)(bottom - top) * (right - left);
            return (mixed, otherLabels, 1 - (area / (h * w)));
        }
    }
}
