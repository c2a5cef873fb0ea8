using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Data;

/// <summary>
/// Sampling with replacement by per-sample weights, as PyTorch's WeightedRandomSampler: balanced
/// weights make every class of imbalanced data equally likely (a chi-square test), draws are
/// reproducible, and a sample drawn twice in an epoch is augmented differently each time.
/// </summary>
public sealed class BalancedSamplingTests
{
    // 1,000 one-pixel images of classes a (900), b (90) and c (10); each pixel is its index mod 256.
    private static TensorDataset Imbalanced()
    {
        var labels = Enumerable.Range(0, 1000).Select(i => i < 900 ? 0L : i < 990 ? 1L : 2L).ToArray();
        var pixels = Enumerable.Range(0, 1000).Select(i => (byte)(i % 256)).ToArray();
        return new TensorDataset(torch.tensor(pixels, [1000L, 1, 1, 1]), labels, ["a", "b", "c"]);
    }

    [Fact]
    public void Balanced_weights_draw_each_class_of_imbalanced_data_equally_often()
    {
        var data = Imbalanced();
        var weights = ClassStatistics.BalancedSampleWeights(data);
        var loader = new DataLoader(data, options: new DataLoaderOptions { BatchSize = 100, Seed = 3, SampleWeights = weights });

        var drawn = Enumerable.Range(0, 5).SelectMany(epoch => loader.BatchIndices(epoch).SelectMany(b => b)).ToList();

        Assert.Equal(1 / 900.0, weights[0], 12);
        Assert.Equal(1 / 10.0, weights[995], 12);
        Assert.Equal(5000, drawn.Count);
        var counts = new[] { drawn.Count(i => i < 900), drawn.Count(i => i is >= 900 and < 990), drawn.Count(i => i >= 990) };
        // Pearson's chi-square against 1/3 each, 2 degrees of freedom: 13.8 is the 0.1 % critical value.
        var statistic = counts.Sum(c => Math.Pow(c - (5000 / 3.0), 2) / (5000 / 3.0));
        Assert.True(statistic < 13.8, $"classes drawn {string.Join("/", counts)}: chi-square {statistic:F1}");
        Assert.Equal(loader.BatchIndices(2), new DataLoader(data, options: loader.Options).BatchIndices(2));
        Assert.NotEqual(loader.BatchIndices(0).SelectMany(b => b), loader.BatchIndices(1).SelectMany(b => b));
    }

    [Fact]
    public void A_sample_drawn_twice_in_an_epoch_gets_other_random_transforms_the_second_time()
    {
        // Two samples, almost all the weight on the first: it is drawn again and again.
        using var images = torch.zeros([2L, 1, 8, 8], ScalarType.Byte);
        var data = new TensorDataset(images, [0, 1], ["a", "b"]);
        var loader = new DataLoader(data, new Compose(new ToTensor(), new RandomErasing(1, value: 1)), new DataLoaderOptions { BatchSize = 2, SampleWeights = [1, 1e-9] });

        var batch = loader.Epoch().Single();
        using (batch)
        {
            Assert.Equal([0, 0], batch.Indices);
            Assert.False(batch.Images[0].eq(batch.Images[1]).all().item<bool>(), "both draws of sample 0 were erased in the same place");
        }
    }

    [Fact]
    public void Sample_weights_must_be_one_per_sample_finite_non_negative_and_not_all_zero()
    {
        var data = Imbalanced();

        Assert.Throws<ArgumentException>(() => new DataLoader(data, options: new DataLoaderOptions { SampleWeights = [1, 2] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(data, options: new DataLoaderOptions { SampleWeights = [.. Enumerable.Repeat(0.0, 1000)] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(data, options: new DataLoaderOptions { SampleWeights = [-1, .. Enumerable.Repeat(1.0, 999)] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(data, options: new DataLoaderOptions { SampleWeights = [double.NaN, .. Enumerable.Repeat(1.0, 999)] }));
    }
}
