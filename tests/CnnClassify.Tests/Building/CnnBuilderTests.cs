using CnnClassify.Layers;
using CnnClassify.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using BatchNorm1d = CnnClassify.Layers.BatchNorm1d;

namespace CnnClassify.Tests.Building;

public class CnnBuilderTests
{
    /// <summary>The seed's SimpleCNN: three conv-BN-ReLU-pool stages (32, 64, 128), then 1152 -> 256 -> 10.</summary>
    internal static CnnBuilder SimpleCnn() =>
        CnnBuilder.Input(channels: 1, height: 28, width: 28)
            .Conv(32, 3, padding: 1).BatchNorm().ReLU().MaxPool(2)
            .Conv(64, 3, padding: 1).BatchNorm().ReLU().MaxPool(2)
            .Conv(128, 3, padding: 1).BatchNorm().ReLU().MaxPool(2)
            .Flatten().Dense(256).ReLU().Dropout(0.5).Dense(10);

    /// <summary>The seed's LeNet5: tanh, average pooling, padding 2 for 28x28 input.</summary>
    internal static CnnBuilder LeNet5() =>
        CnnBuilder.Input(1, 28, 28)
            .Conv(6, 5, padding: 2).Tanh().AvgPool(2)
            .Conv(16, 5).Tanh().AvgPool(2)
            .Flatten().Dense(120).Tanh().Dense(84).Tanh().Dense(10);

    [Fact]
    public void SimpleCNN_has_pytorchs_parameter_count_and_ten_logits()
    {
        using var model = SimpleCnn().Build();
        using var output = model.call(torch.randn(4, 1, 28, 28));

        Assert.Equal(390_858, TensorAssert.ParameterCount(model));
        Assert.Equal([4L, 10], output.shape);
    }

    [Fact]
    public void LeNet5_has_pytorchs_parameter_count_and_ten_logits()
    {
        using var model = LeNet5().Build();
        using var output = model.call(torch.randn(3, 1, 28, 28));

        Assert.Equal(61_706, TensorAssert.ParameterCount(model));
        Assert.Equal([3L, 10], output.shape);
    }

    [Fact]
    public void Input_channels_and_features_are_inferred_from_the_running_shape()
    {
        var builder = SimpleCnn();

        var fc1 = builder.Layers.Single(layer => layer.Name == "fc1");
        Assert.Equal(SampleShape.Vector(128 * 3 * 3), fc1.InputShape);
        using var model = builder.Build();
        Assert.Equal(128 * 3 * 3, ((Linear)model[13]).in_features);
        Assert.Equal(64, ((Conv2d)model[8]).in_channels);
    }

    [Fact]
    public void Layers_are_named_by_kind_and_count_and_the_names_are_state_dict_prefixes()
    {
        using var model = LeNet5().Named("classifier").Build();

        Assert.Equal(
            ["conv1", "tanh1", "pool1", "conv2", "tanh2", "pool2", "flatten1", "fc1", "tanh3", "fc2", "tanh4", "classifier"],
            model.Layers.Select(layer => layer.Name));
        Assert.Equal(
            ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "classifier.weight", "classifier.bias"],
            model.state_dict().Keys);
    }

    [Fact]
    public void Blocks_inside_a_model_keep_their_torchvision_key_names()
    {
        using var model = CnnBuilder.Input(3, 8, 8).ConvBlock(4, 3).Residual(8, stride: 2).Build();

        var keys = model.state_dict().Keys.ToList();

        Assert.Equal(6 + 18, keys.Count);
        Assert.Contains("convblock1.conv.weight", keys);
        Assert.Contains("res1.downsample.1.running_var", keys);
        Assert.DoesNotContain(keys, key => key.Contains("._", StringComparison.Ordinal));
    }

    [Fact]
    public void Each_build_gives_a_new_model_with_its_own_weights()
    {
        var builder = LeNet5();
        using var first = builder.Build();
        using var second = builder.Build();

        Assert.NotSame(first, second);
        Assert.False(first.parameters().First().Handle == second.parameters().First().Handle);
    }

    [Fact]
    public void Blocks_chain_with_inferred_channels()
    {
        var builder = CnnBuilder.Input(3, 32, 32)
            .ConvBlock(16, 3)
            .Residual(16).Residual(32, stride: 2)
            .Bottleneck(16, stride: 2)
            .Inception(new InceptionChannels(8, 8, 16, 4, 8, 8))
            .LocalResponseNorm()
            .GlobalAvgPool().Dense(10);

        Assert.Equal(
            new[] { "16x32x32", "16x32x32", "32x16x16", "64x8x8", "40x8x8", "40x8x8", "40", "10" },
            builder.Layers.Select(layer => layer.OutputShape.ToString()));
        using var model = builder.Build();
        using var output = model.call(torch.randn(2, 3, 32, 32));
        Assert.Equal([2L, 10], output.shape);
    }

    [Theory]
    [InlineData("max", 3, 2, 1, false, 16)] // (32 + 2 - 3) / 2 + 1
    [InlineData("max", 3, 2, 0, true, 16)] // ceil((32 - 3) / 2) + 1
    [InlineData("max", 3, 2, 0, false, 15)]
    [InlineData("avg", 2, null, 0, false, 16)]
    [InlineData("avg", 3, 1, 1, false, 32)]
    public void Pooling_output_size_follows_pytorchs_arithmetic(string kind, int kernel, int? stride, int padding, bool ceilMode, int expected)
    {
        var input = CnnBuilder.Input(4, 32, 32);
        var builder = kind == "max"
            ? input.MaxPool(kernel, stride, padding, ceilMode)
            : input.AvgPool(kernel, stride, padding, ceilMode);

        Assert.Equal(SampleShape.Image(4, expected, expected), builder.OutputShape);
        using var model = builder.Build();
        using var output = model.call(torch.randn(1, 4, 32, 32));
        Assert.Equal([1L, 4, expected, expected], output.shape);
    }

    [Fact]
    public void Adaptive_and_global_pools_give_fixed_sizes()
    {
        Assert.Equal("8x2x3", CnnBuilder.Input(8, 17, 9).AdaptiveAvgPool(2, 3).OutputShape.ToString());
        Assert.Equal("8x1x1", CnnBuilder.Input(8, 17, 9).AdaptiveMaxPool(1, 1).OutputShape.ToString());
        Assert.Equal("8", CnnBuilder.Input(8, 17, 9).GlobalMaxPool().OutputShape.ToString());
        using var model = CnnBuilder.Input(8, 17, 9).AdaptiveAvgPool(2, 3).Build();
        using var output = model.call(torch.randn(1, 8, 17, 9));
        Assert.Equal([1L, 8, 2, 3], output.shape);
    }

    [Fact]
    public void BatchNorm_after_flatten_is_one_dimensional()
    {
        using var model = CnnBuilder.Input(2, 4, 4).Flatten().BatchNorm().Build();

        Assert.IsType<BatchNorm1d>(model[1]);
        Assert.Equal(2 * 32, TensorAssert.ParameterCount(model));
    }

    [Fact]
    public void A_custom_module_gets_its_input_shape_and_its_output_shape_is_probed()
    {
        var builder = CnnBuilder.Input(3, 8, 8)
            .Add("squeeze", input => nn.Conv2d(input.Channels, 5, 1))
            .Add("head", input => nn.Sequential(nn.Flatten(), nn.Linear(input.ElementCount, 7)), input => SampleShape.Vector(7));

        Assert.Equal(["5x8x8", "7"], builder.Layers.Select(layer => layer.OutputShape.ToString()));
        using var model = builder.Build();
        Assert.Equal(["squeeze.weight", "squeeze.bias", "head.1.weight", "head.1.bias"], model.state_dict().Keys);
    }

    [Fact]
    public void Repeat_adds_the_same_blocks_several_times()
    {
        var builder = CnnBuilder.Input(8, 4, 4).Repeat(3, b => b.Residual(8));

        Assert.Equal(["res1", "res2", "res3"], builder.Layers.Select(layer => layer.Name));
    }

    [Fact]
    public void Dropout_probability_out_of_range_is_rejected_by_parameter_name()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => CnnBuilder.Input(1, 4, 4).Dropout(1.0));

        Assert.Equal("probability", error.ParamName);
    }

    [Theory]
    [InlineData("a.b", "contains a dot")]
    [InlineData("conv1", "already used")]
    public void Bad_layer_names_are_rejected(string name, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => CnnBuilder.Input(1, 8, 8).Conv(4, 3).ReLU().Named(name));

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Building_an_empty_model_explains_what_is_missing()
    {
        var error = Assert.Throws<InvalidOperationException>(() => CnnBuilder.Input(1, 8, 8).Build());

        Assert.Equal("The model has no layers; add some after CnnBuilder.Input(1x8x8).", error.Message);
    }
}
