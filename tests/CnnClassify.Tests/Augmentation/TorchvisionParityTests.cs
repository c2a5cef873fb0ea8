using CnnClassify.Data.Transforms;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Augmentation;

/// <summary>
/// Each policy's operations at fixed bins of the policy's own scale, and AugMix's mixing, against
/// torchvision 0.21 on the same uint8 images: the magnitudes equal torchvision's scales, and
/// every pixel is within 1 level of torchvision's.
/// </summary>
public sealed class TorchvisionParityTests(TorchvisionAugmentation reference, ITestOutputHelper output) : IClassFixture<TorchvisionAugmentation>
{
    [SkippableFact]
    public void Every_policy_operation_at_its_scales_bins_matches_torchvision_within_one_level()
    {
        Skip.If(reference.UnavailableReason is not null, reference.UnavailableReason);
        var magnitudes = reference.Magnitudes();
        var failures = new List<string>();
        var (compared, offByOne, exact) = (0, 0L, 0);
        var inexact = new SortedSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < reference.Cases.Count; i++)
        {
            var c = reference.Cases[i];
            if (c.Mix is not null)
            {
                continue;
            }

            var (_, scale, bins, _, _, _) = TorchvisionAugmentation.Policies.Single(p => p.Policy == c.Policy);
            var image = reference.Images[c.Image];
            var magnitude = MagnitudeScale.Magnitude(scale, c.Op, c.Bin, bins, image.shape[1], image.shape[2]) * (c.Negative ? -1 : 1);
            if (Math.Abs(magnitude - magnitudes[i]!.Value) > 1e-6 * Math.Max(1, Math.Abs(magnitude)))
            {
                failures.Add($"{c.Policy} {c.Op} bin {c.Bin}: magnitude {magnitude}, torchvision {magnitudes[i]}");
                continue;
            }

            using var actual = AugmentationOps.Apply(image, c.Op, magnitude, c.Interpolation, c.Fill);
            var (worst, ones) = Compare(actual, reference.Expected(i, image.shape));
            compared++;
            offByOne += ones;
            exact += ones == 0 ? 1 : 0;
            if (ones > 0)
            {
                inexact.Add($"{c.Op} ({c.Interpolation})");
            }
            if (worst > 1)
            {
                failures.Add($"{c.Policy} {c.Op} {magnitude} on {c.Image} ({c.Interpolation}, fill {string.Join("/", c.Fill ?? [])}): {worst} levels apart");
            }
        }

        output.WriteLine($"{compared} operations compared; {exact} equal torchvision's output exactly, {offByOne} pixels in all differ by one level: {string.Join(", ", inexact)}.");
        Assert.True(compared > 500, $"only {compared} cases");
        Assert.True(exact >= 0.95 * compared, $"only {exact} of {compared} operations equal torchvision's output exactly");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [SkippableFact]
    public void AugMix_mixes_its_chains_with_its_weights_as_torchvision_does()
    {
        Skip.If(reference.UnavailableReason is not null, reference.UnavailableReason);
        var mixes = reference.Cases.Select((c, i) => (Case: c, Index: i)).Where(p => p.Case.Mix is not null).ToList();
        Assert.Equal(6, mixes.Count);
        foreach (var (c, index) in mixes)
        {
            var image = reference.Images[c.Image];
            var augmix = c.Image == "photo" ? new AugMix() : new AugMix(severity: 10, mixtureWidth: 4, chainDepth: 3, alpha: 0.5);
            using var actual = augmix.Apply(image, c.Mix!);
            var (worst, _) = Compare(actual, reference.Expected(index, image.shape));
            Assert.True(worst <= 1, $"AugMix plan {index} on {c.Image}: {worst} levels apart");
            Assert.Equal(1.0, c.Mix!.OriginalWeight + c.Mix.ChainWeights.Sum(), 5);
        }
    }

    private static (int Worst, long OffByOne) Compare(Tensor actual, Tensor expected)
    {
        using (expected)
        {
            Assert.Equal(expected.shape, actual.shape);
            Assert.Equal(ScalarType.Byte, actual.dtype);
            using var difference = actual.to(ScalarType.Int32).sub(expected.to(ScalarType.Int32)).abs();
            return (difference.max().item<int>(), difference.eq(1).sum().item<long>());
        }
    }
}
