using CnnClassify.Layers;
using CnnClassify.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Building;

/// <summary>Every shape the builder rejects, with the exact message users see.</summary>
public class ShapeErrorTests
{
    private static LayerShapeException Rejected(Func<CnnBuilder> build) => Assert.Throws<LayerShapeException>(() => build());

    [Fact]
    public void Pooling_that_shrinks_the_image_to_nothing()
    {
        var error = Rejected(() => CnnBuilder.Input(1, 8, 8)
            .Conv(32, 3, padding: 1).MaxPool(2)
            .Conv(64, 3, padding: 1).MaxPool(2)
            .Conv(128, 3, padding: 1).MaxPool(2)
            .ReLU().MaxPool(2));

        Assert.Equal("layer 7 MaxPool2d(2): input 128x1x1 would shrink to 0x0", error.Message);
        Assert.Equal((7, "MaxPool2d(2)", SampleShape.Image(128, 1, 1)), (error.LayerIndex, error.Layer, error.InputShape));
    }

    [Fact]
    public void Convolution_kernel_larger_than_the_image()
    {
        var error = Rejected(() => CnnBuilder.Input(1, 3, 4).Conv(8, 5));

        Assert.Equal("layer 0 Conv2d(8, 5): input 1x3x4 would shrink to 0x0", error.Message);
    }

    [Fact]
    public void Strided_convolution_reports_both_sides()
    {
        var error = Rejected(() => CnnBuilder.Input(3, 2, 9).Conv(8, 3, stride: 2));

        Assert.Equal("layer 0 Conv2d(8, 3, stride=2): input 3x2x9 would shrink to 0x4", error.Message);
    }

    [Fact]
    public void Convolution_after_flatten()
    {
        var error = Rejected(() => CnnBuilder.Input(2, 4, 4).Flatten().Dense(32).Conv(8, 3));

        Assert.Equal("layer 2 Conv2d(8, 3): input 32 is not an image (channels x height x width); convolutions must come before Flatten", error.Message);
    }

    [Fact]
    public void Dense_before_flatten()
    {
        var error = Rejected(() => CnnBuilder.Input(1, 8, 8).Conv(8, 3, padding: 1).Dense(10));

        Assert.Equal("layer 1 Linear(10): input 8x8x8 is not flat; add Flatten() or a global pool before Dense", error.Message);
    }

    [Fact]
    public void Groups_that_do_not_divide_the_input_channels()
    {
        var error = Rejected(() => CnnBuilder.Input(6, 8, 8).Conv(8, 3, groups: 4));

        Assert.Equal("layer 0 Conv2d(8, 3, groups=4): input 6x8x8 has 6 channels, which groups=4 does not divide", error.Message);
    }

    [Fact]
    public void Groups_that_do_not_divide_the_output_channels()
    {
        var error = Rejected(() => CnnBuilder.Input(8, 8, 8).Conv(6, 3, groups: 4));

        Assert.Equal("layer 0 Conv2d(6, 3, groups=4): input 8x8x8 gives 6 output channels, which groups=4 does not divide", error.Message);
    }

    [Fact]
    public void Pool_padding_more_than_half_the_kernel()
    {
        var error = Rejected(() => CnnBuilder.Input(1, 8, 8).MaxPool(2, padding: 2));

        Assert.Equal("layer 0 MaxPool2d(2, padding=2): input 1x8x8 needs padding (2) of at most half the kernel (2)", error.Message);
    }

    [Theory]
    [InlineData("maxpool", "MaxPool2d(2)", "pooling must come before Flatten")]
    [InlineData("globalpool", "GlobalAveragePool2d", "global pooling must come before Flatten")]
    [InlineData("adaptive", "AdaptiveAvgPool2d(1x1)", "pooling must come before Flatten")]
    [InlineData("residual", "BasicResidualBlock(8)", "residual blocks must come before Flatten")]
    [InlineData("bottleneck", "BottleneckResidualBlock(8)", "residual blocks must come before Flatten")]
    [InlineData("inception", "InceptionBlock(1, 1->1, 1->1, pool->1)", "Inception blocks must come before Flatten")]
    [InlineData("lrn", "LocalResponseNorm(5)", "local response normalisation works across image channels")]
    [InlineData("convblock", "ConvBlock(8, 3, ReLU)", "convolutions must come before Flatten")]
    public void Image_layers_after_flatten(string kind, string layer, string hint)
    {
        var flat = CnnBuilder.Input(4, 2, 2).Flatten();

        var error = Rejected(() => kind switch
        {
            "maxpool" => flat.MaxPool(2),
            "globalpool" => flat.GlobalAvgPool(),
            "adaptive" => flat.AdaptiveAvgPool(1, 1),
            "residual" => flat.Residual(8),
            "bottleneck" => flat.Bottleneck(8),
            "inception" => flat.Inception(new InceptionChannels(1, 1, 1, 1, 1, 1)),
            "lrn" => flat.LocalResponseNorm(),
            _ => flat.ConvBlock(8, 3),
        });

        Assert.Equal($"layer 1 {layer}: input 16 is not an image (channels x height x width); {hint}", error.Message);
    }

    [Fact]
    public void A_custom_shape_function_that_rejects_the_input()
    {
        var error = Rejected(() => CnnBuilder.Input(1, 8, 8).Add("rgb_only", _ => nn.Identity(), input =>
            input.Channels == 3 ? input : throw new ArgumentException("expects 3 channels")));

        Assert.Equal("layer 0 rgb_only: input 1x8x8 is rejected: expects 3 channels", error.Message);
    }

    [Fact]
    public void A_custom_module_whose_trial_forward_fails()
    {
        var error = Rejected(() => CnnBuilder.Input(1, 4, 4).Add("wrong_head", _ => nn.Linear(5, 3)));

        Assert.StartsWith("layer 0 wrong_head: input 1x4x4 fails in a trial forward: ", error.Message);
    }

    [Fact]
    public void A_later_error_keeps_the_builder_usable_up_to_the_bad_layer()
    {
        var builder = CnnBuilder.Input(1, 2, 2).Conv(4, 1);

        Assert.Throws<LayerShapeException>(() => builder.MaxPool(4));

        Assert.Single(builder.Layers);
        using var model = builder.MaxPool(2).Build();
        Assert.Equal(SampleShape.Image(4, 1, 1), model.OutputShape);
    }
}
