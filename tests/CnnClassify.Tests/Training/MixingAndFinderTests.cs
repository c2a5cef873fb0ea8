using CnnClassify.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Training;

public class MixingAndFinderTests
{
    // Image i is filled with the value i, so every output pixel reveals which images it came from.
    private static Tensor Numbered(int count) => torch.arange(count, dtype: ScalarType.Float32).reshape(count, 1, 1, 1).expand(count, 1, 8, 8).contiguous();

    [Fact]
    public void MixUp_blends_each_image_with_one_partner_by_lambda()
    {
        using var images = Numbered(6);
        using var labels = torch.arange(6, dtype: ScalarType.Int64);

        var (mixed, partners, lambda) = BatchMixer.MixUp(0.4).Mix(images, labels, new Random(3));

        Assert.InRange(lambda, 0, 1);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => (long)i), partners.data<long>().ToArray().Order());
        var expected = torch.arange(6, dtype: ScalarType.Float32) * lambda + partners.to(ScalarType.Float32) * (1 - lambda);
        TensorAssert.Close(expected.data<float>().ToArray(), mixed[.., 0, 0, 0], 1e-5);
        TensorAssert.Close(Enumerable.Repeat(mixed[2, 0, 0, 0].item<float>(), 64).ToArray(), mixed[2, 0].flatten(), 1e-6);
    }

    [Fact]
    public void CutMix_lambda_is_the_share_of_pixels_kept()
    {
        using var images = Numbered(8);
        using var labels = torch.arange(8, dtype: ScalarType.Int64);

        for (var seed = 0; seed < 10; seed++)
        {
            var (mixed, partners, lambda) = BatchMixer.CutMix(1.0).Mix(images, labels, new Random(seed));
            for (var i = 0; i < 8; i++)
            {
                var partner = partners[i].item<long>();
                if (partner == i)
                {
                    continue;
                }

                var pasted = mixed[i].eq((float)partner).sum().item<long>();
                Assert.Equal(1 - lambda, pasted / 64.0, 9);
            }
        }
    }

    [Fact]
    public void The_lr_finder_sweeps_upwards_suggests_a_rate_in_range_and_restores_the_weights()
    {
        using var model = TrainingData.Linear();
        var before = TrainingData.Weights(model);

        var result = LearningRateFinder.Run(model, TrainingData.Loader(TrainingData.Separable(96)), startLearningRate: 1e-5, endLearningRate: 100, steps: 60);

        Assert.Equal(before, TrainingData.Weights(model));
        Assert.True(result.LearningRates.Zip(result.LearningRates.Skip(1)).All(p => p.Second > p.First));
        Assert.InRange(result.SuggestedLearningRate, 1e-5, 100);
        Assert.Equal(result.LearningRates.Count, result.Losses.Count);
        Assert.True(result.Losses.Min() < result.Losses[0]);
    }
}
