using CnnClassify.Layers;
using CnnClassify.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using BatchNorm2d = CnnClassify.Layers.BatchNorm2d;

namespace CnnClassify.Tests.Building;

/// <summary>Initial weights are random, so each scheme is checked by the statistics of a large layer.</summary>
public class WeightInitializationTests
{
    private static CnnModel Model(WeightInitialization init) =>
        CnnBuilder.Input(64, 8, 8)
            .Conv(128, 3).BatchNorm().ReLU()
            .Flatten().Dense(256)
            .WithWeightInit(init)
            .Build();

    private static double Std(Tensor t) => t.std().item<float>();

    [Fact]
    public void Kaiming_normal_fan_out_gives_std_sqrt_2_over_fan_out_and_linear_normal_001()
    {
        torch.manual_seed(1);
        using var model = Model(WeightInitialization.KaimingNormal);
        var conv = (Conv2d)model[0];
        var linear = (Linear)model[4];

        // fan_out = 128 * 3 * 3; gain for ReLU is sqrt(2).
        Assert.Equal(Math.Sqrt(2.0 / (128 * 9)), Std(conv.weight), 0.002);
        Assert.Equal(0.0, conv.bias!.abs().max().item<float>());
        Assert.Equal(0.01, Std(linear.weight), 0.0005);
        Assert.Equal(0.0, linear.bias!.abs().max().item<float>());
    }

    [Theory]
    [InlineData(0.0, 1.0, -2.0, 2.0)]
    [InlineData(0.0, 0.02, -2.0, 2.0)]
    [InlineData(0.5, 1.0, 0.0, 3.0)]
    public void Truncated_normal_has_the_truncated_distributions_moments_and_stays_in_its_bounds(double mean, double std, double a, double b)
    {
        // Moments of N(mean, std^2) truncated to [a, b]: with alpha, beta the bounds in standard
        // units and Z = Phi(beta) - Phi(alpha), the mean moves by std (phi(alpha) - phi(beta)) / Z.
        static double Pdf(double x) => Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);
        var (alpha, beta) = ((a - mean) / std, (b - mean) / std);
        var z = NormalCdf(beta) - NormalCdf(alpha);
        var expectedMean = mean + (std * (Pdf(alpha) - Pdf(beta)) / z);
        var betaTerm = double.IsFinite(beta * Pdf(beta)) ? beta * Pdf(beta) : 0;
        var expectedStd = std * Math.Sqrt(1 + (((alpha * Pdf(alpha)) - betaTerm) / z) - Math.Pow((Pdf(alpha) - Pdf(beta)) / z, 2));
        torch.manual_seed(4);
        using var weight = torch.empty(400, 500);

        TensorInitializer.TruncatedNormal(mean, std, a, b).Fill(weight);

        Assert.True(weight.min().item<float>() >= a && weight.max().item<float>() <= b);
        Assert.Equal(expectedMean, weight.mean().item<float>(), 0.01 * std);
        Assert.Equal(expectedStd, Std(weight), 0.01 * std);
    }

    // Phi by numerical integration of the density (Simpson's rule), independent of the code under test.
    private static double NormalCdf(double x)
    {
        if (x < -10)
        {
            return 0;
        }

        if (x > 10)
        {
            return 1;
        }

        const int Steps = 20_000;
        var h = (x + 10) / Steps;
        var sum = 0.0;
        for (var i = 0; i <= Steps; i++)
        {
            var t = -10 + (i * h);
            var weight = i == 0 || i == Steps ? 1 : i % 2 == 1 ? 4 : 2;
            sum += weight * Math.Exp(-t * t / 2);
        }

        return sum * h / 3 / Math.Sqrt(2 * Math.PI);
    }

    [Fact]
    public void Kaiming_uniform_fan_in_bounds_the_weights_by_sqrt_6_over_fan_in()
    {
        torch.manual_seed(2);
        using var model = Model(WeightInitialization.KaimingUniform);
        var conv = (Conv2d)model[0];

        var bound = Math.Sqrt(6.0 / (64 * 9));
        var largest = conv.weight.abs().max().item<float>();
        Assert.InRange(largest, 0.98 * bound, bound);
        Assert.Equal(bound / Math.Sqrt(3), Std(conv.weight), 0.002); // std of U(-b, b)
    }

    [Fact]
    public void Xavier_uniform_bounds_the_weights_by_sqrt_6_over_fan_in_plus_fan_out()
    {
        torch.manual_seed(3);
        using var model = Model(WeightInitialization.Xavier);
        var linear = (Linear)model[4];

        var bound = Math.Sqrt(6.0 / ((128 * 6 * 6) + 256));
        Assert.InRange(linear.weight.abs().max().item<float>(), 0.98 * bound, bound);
    }

    [Fact]
    public void Presets_set_batchnorm_to_one_and_zero()
    {
        using var model = Model(WeightInitialization.PyTorchDefault);
        var bn = (BatchNorm2d)model[1];
        using (torch.no_grad())
        {
            bn.weight.fill_(5);
            bn.bias!.fill_(5);
        }

        WeightInitialization.KaimingNormal.Apply(model);

        Assert.Equal((1f, 1f), (bn.weight.min().item<float>(), bn.weight.max().item<float>()));
        Assert.Equal(0f, bn.bias!.abs().max().item<float>());
    }

    [Fact]
    public void PyTorch_default_leaves_every_weight_as_created()
    {
        torch.manual_seed(4);
        using var model = Model(WeightInitialization.PyTorchDefault);
        var before = model.parameters().Select(p => p.clone()).ToList();

        WeightInitialization.PyTorchDefault.Apply(model);

        Assert.All(model.parameters().Zip(before), pair => TensorAssert.Equal(pair.Second, pair.First, 0));
    }

    [Fact]
    public void Custom_schemes_combine_per_layer_kind()
    {
        var init = WeightInitialization.PyTorchDefault with { Linear = TensorInitializer.Constant(0.5) };
        using var model = Model(init);

        Assert.Equal(0.5f, ((Linear)model[4]).weight.mean().item<float>());
        Assert.Equal("Constant(0.5)", init.Linear!.Name);
    }
}
