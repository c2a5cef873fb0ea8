using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Layers;

public class SimpleLayerTests
{
    [Fact]
    public void Global_average_pool_averages_each_channel_to_one_value()
    {
        using var pool = new GlobalAveragePool2d();
        using var input = torch.arange(0, 8, dtype: ScalarType.Float32).reshape(1, 2, 2, 2);

        using var output = pool.call(input);

        Assert.Equal([1L, 2], output.shape);
        TensorAssert.Close([1.5f, 5.5f], output);
    }

    [Fact]
    public void Global_max_pool_takes_each_channels_maximum()
    {
        using var pool = new GlobalMaxPool2d();
        using var input = torch.tensor(new float[] { 1, 9, -3, 2, -1, -2, -8, -4 }, [1, 2, 2, 2]);

        using var output = pool.call(input);

        TensorAssert.Close([9f, -1f], output);
    }

    [Fact]
    public void Local_response_norm_uses_the_papers_formula_without_dividing_alpha()
    {
        using var lrn = new LocalResponseNormalization(size: 3, alpha: 0.1, beta: 0.75, k: 2.0);
        float[] a = [1, 2, 3, 4];

        using var output = lrn.call(torch.tensor(a, [1, 4, 1, 1]));

        // b[c] = a[c] / (k + alpha * sum of a[j]^2 over j in [c-1, c+1]) ^ beta.
        var expected = a.Select((value, c) =>
        {
            var sum = a.Where((_, j) => Math.Abs(j - c) <= 1).Sum(v => v * v);
            return (float)(value / Math.Pow(2.0 + (0.1 * sum), 0.75));
        }).ToArray();
        TensorAssert.Close(expected, output);
        // PyTorch: F.local_response_norm(t, 3, alpha=0.3, beta=0.75, k=2.0) gave these values.
        TensorAssert.Close([0.50297338f, 0.79876822f, 0.91090733f, 1.29464471f], output);
        Assert.Equal(0, TensorAssert.ParameterCount(lrn));
    }

    [Fact]
    public void Local_response_norm_defaults_are_alexnets()
    {
        using var lrn = new LocalResponseNormalization();

        Assert.Equal((5L, 1e-4, 0.75, 2.0), (lrn.Size, lrn.Alpha, lrn.Beta, lrn.K));
    }

    [Fact]
    public void Activations_create_the_expected_modules()
    {
        Assert.IsType<ReLU>(Activation.ReLU.CreateModule());
        Assert.IsType<ReLU6>(Activation.ReLU6.CreateModule());
        Assert.IsType<Tanh>(Activation.Tanh.CreateModule());
        Assert.IsType<GELU>(Activation.GELU.CreateModule());
        Assert.IsType<SiLU>(Activation.SiLU.CreateModule());
        Assert.IsType<Sigmoid>(Activation.Sigmoid.CreateModule());
        Assert.Null(Activation.None.CreateModule());
    }

    [Theory]
    [InlineData("leaky", -2.0, -0.2)]
    [InlineData("leaky", 3.0, 3.0)]
    [InlineData("elu", -1.0, -1.2642411)] // 2 * (e^-1 - 1)
    [InlineData("elu", 0.5, 0.5)]
    public void Parameterised_activations_apply_their_parameter(string kind, double input, double expected)
    {
        var activation = kind == "leaky" ? Activation.LeakyReLU(0.1) : Activation.ELU(2.0);
        using var module = activation.CreateModule()!;

        using var output = module.call(torch.tensor(new[] { (float)input }));

        TensorAssert.Close([(float)expected], output);
    }

    [Fact]
    public void Bad_activation_parameters_are_rejected_by_name()
    {
        Assert.Equal("negativeSlope", Assert.Throws<ArgumentOutOfRangeException>(() => Activation.LeakyReLU(-1)).ParamName);
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => Activation.ELU(0)).ParamName);
        Assert.Equal("LeakyReLU(0.2)", Activation.LeakyReLU(0.2).Name);
    }
}
