using CnnClassify.Data.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Augmentation;

/// <summary>
/// The policies draw their operations with torchvision's probabilities (chi-square tests over
/// 10,000 seeded draws at the 0.1 % level), are reproducible from a seed, and refuse what
/// torchvision refuses.
/// </summary>
public sealed class PolicyDrawTests
{
    private const int Draws = 10_000;

    [Fact]
    public void RandAugment_draws_each_of_its_14_operations_uniformly_and_a_negative_sign_half_the_time()
    {
        var policy = new RandAugment(operations: 1, magnitude: 9);
        var random = new Random(5);
        var steps = Enumerable.Range(0, Draws).Select(_ => policy.Draw(random, 32, 32).Single()).ToList();

        var counts = RandAugment.OperationSpace.Select(op => (double)steps.Count(s => s.Op == op)).ToArray();
        AssertFits(counts, [.. counts.Select(_ => 1.0 / counts.Length)], "RandAugment's operations");
        var signed = steps.Where(s => s.Op is AugmentationOp.Rotate or AugmentationOp.ShearX or AugmentationOp.Brightness).ToList();
        AssertFits([signed.Count(s => s.Magnitude < 0), signed.Count(s => s.Magnitude > 0)], [0.5, 0.5], "RandAugment's signs");
        Assert.All(steps.Where(s => s.Op == AugmentationOp.Solarize), s => Assert.Equal(255 - (255.0 * 9 / 30), s.Magnitude, 3));
    }

    [Fact]
    public void TrivialAugment_draws_its_operations_and_their_bins_uniformly()
    {
        var policy = new TrivialAugmentWide();
        var random = new Random(6);
        var steps = Enumerable.Range(0, Draws).Select(_ => policy.Draw(random, 32, 32)).ToList();

        var counts = TrivialAugmentWide.OperationSpace.Select(op => (double)steps.Count(s => s.Op == op)).ToArray();
        AssertFits(counts, [.. counts.Select(_ => 1.0 / counts.Length)], "TrivialAugment's operations");
        // Rotation's bins are 135 / 30 degrees apart: the bin is |magnitude| / 4.5.
        var rotations = steps.Where(s => s.Op == AugmentationOp.Rotate).Select(s => (int)Math.Round(Math.Abs(s.Magnitude) / 4.5)).ToList();
        var bins = Enumerable.Range(0, 31).Select(b => (double)rotations.Count(r => r == b)).ToArray();
        Assert.Equal(rotations.Count, bins.Sum());
        AssertFits(bins, [.. bins.Select(_ => 1.0 / 31)], "TrivialAugment's bins");
    }

    [Fact]
    public void AutoAugment_applies_each_sub_policys_operations_with_their_probabilities()
    {
        var policy = new AutoAugment(AutoAugmentPolicy.ImageNet);
        Assert.Equal(25, policy.SubPolicies.Count);
        var random = new Random(7);
        var outcomes = Enumerable.Range(0, Draws).Select(_ => string.Join(",", policy.Draw(random, 224, 224).Select(s => s.Op))).ToList();

        // The chance of each outcome (the operations applied, in order) from the policy's table.
        var expected = new Dictionary<string, double>();
        foreach (var sub in policy.SubPolicies)
        {
            for (var pattern = 0; pattern < 4; pattern++)
            {
                var (first, second) = ((pattern & 1) != 0, (pattern & 2) != 0);
                var chance = (first ? sub[0].Probability : 1 - sub[0].Probability) * (second ? sub[1].Probability : 1 - sub[1].Probability) / 25;
                var key = string.Join(",", new[] { first ? sub[0].Op.ToString() : null, second ? sub[1].Op.ToString() : null }.Where(o => o is not null));
                expected[key] = expected.GetValueOrDefault(key) + chance;
            }
        }

        var keys = expected.Keys.Where(k => expected[k] * Draws >= 5).ToList();
        var observed = keys.Select(k => (double)outcomes.Count(o => o == k)).Append(outcomes.Count(o => !keys.Contains(o))).ToArray();
        var probabilities = keys.Select(k => expected[k]).Append(1 - keys.Sum(k => expected[k])).ToArray();
        AssertFits(observed, probabilities, "AutoAugment's outcomes");
    }

    [Fact]
    public void A_policy_gives_the_same_image_for_the_same_seed_and_another_for_another_seed()
    {
        using var image = torch.randint(0, 256, [3, 20, 24], dtype: ScalarType.Byte, generator: new torch.Generator(3));
        IImageTransform[] policies = [new RandAugment(), new TrivialAugmentWide(), new AutoAugment(), new AugMix()];
        foreach (var policy in policies)
        {
            var seeds = Enumerable.Range(0, 8).ToArray();
            var first = seeds.Select(s => policy.Apply(image, new Random(s))).ToList();
            var again = seeds.Select(s => policy.Apply(image, new Random(s))).ToList();
            Assert.All(first.Zip(again), p => Assert.True(p.First.eq(p.Second).all().item<bool>(), $"{policy.GetType().Name} is not reproducible"));
            Assert.Contains(first.Skip(1), other => !other.eq(first[0]).all().item<bool>());
            Assert.All(first, o => Assert.Equal(ScalarType.Byte, o.dtype));
            first.Concat(again).ToList().ForEach(t => t.Dispose());
        }
    }

    [Fact]
    public void Policies_refuse_float_images_bicubic_resampling_and_bins_outside_their_scale()
    {
        using var floats = torch.rand(3, 8, 8);
        var error = Assert.Throws<ArgumentException>(() => new RandAugment().Apply(floats, new Random(0)));
        Assert.Contains("before ToTensor()", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new TrivialAugmentWide(interpolation: Interpolation.Bicubic));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandAugment(magnitude: 31));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AugMix(severity: 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AugMix(alpha: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandAugment(fill: [300]));
        using var rgb = torch.zeros([3, 8, 8], ScalarType.Byte);
        Assert.Throws<ArgumentException>(() => AugmentationOps.Apply(rgb, AugmentationOp.Rotate, 10, fill: [1, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => AugmentationOps.Apply(rgb, AugmentationOp.Brightness, -1.5));
    }

    // Pearson's chi-square against the expected shares; the 0.1 % critical value by Wilson and Hilferty's approximation.
    private static void AssertFits(double[] observed, double[] probabilities, string what)
    {
        var total = observed.Sum();
        var statistic = observed.Zip(probabilities).Sum(p => Math.Pow(p.First - (total * p.Second), 2) / (total * p.Second));
        var degrees = observed.Length - 1;
        const double z = 3.0902;
        var critical = degrees * Math.Pow(1 - (2.0 / (9 * degrees)) + (z * Math.Sqrt(2.0 / (9 * degrees))), 3);
        Assert.True(statistic < critical, $"{what}: chi-square {statistic:F1} with {degrees} degrees of freedom, above {critical:F1}");
    }
}
