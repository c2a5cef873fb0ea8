using CnnClassify.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Layers;

public class ConvBlockTests
{
    [Fact]
    public void With_batchnorm_the_conv_has_no_bias_and_keys_follow_pytorch()
    {
        using var block = new ConvBlock(3, 16, kernelSize: 3);

        // conv 3*16*3*3 (no bias) + BatchNorm weight and bias 2*16.
        Assert.Equal(432 + 32, TensorAssert.ParameterCount(block));
        Assert.Equal(
            ["conv.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"],
            block.state_dict().Keys);
    }

    [Fact]
    public void Without_batchnorm_the_conv_keeps_its_bias()
    {
        using var block = new ConvBlock(3, 16, kernelSize: 3, batchNorm: false);

        Assert.Equal(432 + 16, TensorAssert.ParameterCount(block));
        Assert.Equal(["conv.weight", "conv.bias"], block.state_dict().Keys);
    }

    [Theory]
    [InlineData(3, 1, null, 32)] // default padding keeps the size
    [InlineData(3, 2, null, 16)]
    [InlineData(5, 1, 0L, 28)]
    [InlineData(1, 1, null, 32)]
    public void Output_shape_follows_the_convolution_arithmetic(long kernel, long stride, long? padding, long expectedSize)
    {
        using var block = new ConvBlock(3, 8, kernel, stride, padding);
        using var output = block.call(torch.randn(2, 3, 32, 32));

        Assert.Equal([2L, 8, expectedSize, expectedSize], output.shape);
    }

    [Fact]
    public void Applies_conv_then_batchnorm_then_the_activation()
    {
        using var block = new ConvBlock(1, 1, kernelSize: 1, activation: Activation.LeakyReLU(0.5));
        using (torch.no_grad())
        {
            block.Conv.weight.fill_(2.0);
            block.BatchNorm!.weight.fill_(3.0);
            block.BatchNorm.bias!.fill_(-1.0);
        }

        block.eval(); // running mean 0 and variance 1: BN(y) = 3y / sqrt(1 + 1e-5) - 1
        using var output = block.call(torch.tensor(new float[] { 1, -1 }, [1, 1, 1, 2]));

        var scale = 3 / Math.Sqrt(1 + 1e-5);
        var positive = (float)((2 * scale) - 1);
        var negative = (float)(0.5 * ((-2 * scale) - 1));
        TensorAssert.Close([positive, negative], output);
    }

    [Fact]
    public void Groups_that_do_not_divide_the_channels_are_rejected_by_name()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ConvBlock(6, 8, 3, groups: 4));

        Assert.Equal("groups", error.ParamName);
        Assert.Contains("input channels (6)", error.Message);
    }
}
