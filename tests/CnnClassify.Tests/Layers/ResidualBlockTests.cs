using CnnClassify.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Layers;

/// <summary>Counts and keys are torchvision's, from resnet18().layer1[0], .layer2[0] and resnet50().layer1[0].</summary>
public class ResidualBlockTests
{
    [Fact]
    public void Basic_block_with_identity_shortcut_matches_torchvision_resnet18_layer1_0()
    {
        using var block = new BasicResidualBlock(64, 64);
        using var output = block.call(torch.randn(2, 64, 8, 8));

        Assert.False(block.HasProjection);
        Assert.Equal(73_984, TensorAssert.ParameterCount(block));
        Assert.Equal([2L, 64, 8, 8], output.shape);
    }

    [Fact]
    public void Basic_block_with_projection_matches_torchvision_resnet18_layer2_0()
    {
        using var block = new BasicResidualBlock(64, 128, stride: 2);
        using var output = block.call(torch.randn(2, 64, 8, 8));

        Assert.True(block.HasProjection);
        Assert.Equal(230_144, TensorAssert.ParameterCount(block));
        Assert.Equal([2L, 128, 4, 4], output.shape);
        // Sorted: TorchSharp lists parameters before buffers, PyTorch interleaves them; loading is by key.
        Assert.Equal(
            new[]
            {
                "conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
                "conv2.weight", "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var", "bn2.num_batches_tracked",
                "downsample.0.weight", "downsample.1.weight", "downsample.1.bias", "downsample.1.running_mean",
                "downsample.1.running_var", "downsample.1.num_batches_tracked",
            }.Order(StringComparer.Ordinal),
            block.state_dict().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Bottleneck_matches_torchvision_resnet50_layer1_0()
    {
        using var block = new BottleneckResidualBlock(64, planes: 64);
        using var output = block.call(torch.randn(2, 64, 8, 8));

        Assert.True(block.HasProjection); // 64 -> 256 channels
        Assert.Equal(75_008, TensorAssert.ParameterCount(block));
        Assert.Equal([2L, 256, 8, 8], output.shape);
        // Sorted: TorchSharp lists parameters before buffers, PyTorch interleaves them; loading is by key.
        Assert.Equal(
            new[]
            {
                "conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
                "conv2.weight", "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var", "bn2.num_batches_tracked",
                "conv3.weight", "bn3.weight", "bn3.bias", "bn3.running_mean", "bn3.running_var", "bn3.num_batches_tracked",
                "downsample.0.weight", "downsample.1.weight", "downsample.1.bias", "downsample.1.running_mean",
                "downsample.1.running_var", "downsample.1.num_batches_tracked",
            }.Order(StringComparer.Ordinal),
            block.state_dict().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Bottleneck_with_stride_two_halves_the_size_and_expands_by_four()
    {
        using var block = new BottleneckResidualBlock(256, planes: 128, stride: 2);
        using var output = block.call(torch.randn(1, 256, 9, 9));

        // 1x1 256->128, 3x3 128->128, 1x1 128->512, projection 256->512, BatchNorms 2*(128+128+512+512).
        Assert.Equal((256 * 128) + (128 * 128 * 9) + (128 * 512) + (256 * 512) + (2 * (128 + 128 + 512 + 512)), TensorAssert.ParameterCount(block));
        Assert.Equal([1L, 512, 5, 5], output.shape);
    }

    [Fact]
    public void With_zeroed_branch_the_basic_block_passes_relu_of_its_input()
    {
        using var block = new BasicResidualBlock(4, 4);
        (WeightInitialization.PyTorchDefault with { ZeroInitResidual = true }).Apply(block);
        block.eval();
        using var input = torch.randn(2, 4, 5, 5);

        using var output = block.call(input);

        TensorAssert.Equal(input.relu(), output);
    }

    [Fact]
    public void The_shortcut_is_added_before_the_final_relu()
    {
        using var block = new BasicResidualBlock(1, 1);
        using (torch.no_grad())
        {
            foreach (var (name, parameter) in block.named_parameters())
            {
                // Branch: conv1 (x1) -> bn1 (identity) -> relu -> conv2 (x1) -> bn2 (x1, bias +1).
                parameter.fill_(name.EndsWith("bias", StringComparison.Ordinal) ? 0 : 1);
            }

            block.named_parameters().Single(p => p.name == "bn2.bias").parameter.fill_(1.0);
        }

        block.eval();
        var centre = new float[9];
        centre[4] = 2;
        using var output = block.call(torch.tensor(centre, [1, 1, 3, 3]));

        // conv1 spreads the centre 2 to every pixel of the 3x3 neighbourhood; conv2 sums the
        // neighbourhood's values. bn scales by 1/sqrt(1 + 1e-5); bn2 adds 1; then the input is added.
        var s = 1 / Math.Sqrt(1 + 1e-5);
        float At(int r, int c)
        {
            var neighbours = ((r == 1 ? 3 : 2) * (c == 1 ? 3 : 2)) * 2 * s;
            return (float)Math.Max(0, (neighbours * s) + 1 + centre[(3 * r) + c]);
        }

        TensorAssert.Close(Enumerable.Range(0, 9).Select(i => At(i / 3, i % 3)).ToArray(), output.flatten(), 1e-4);
    }
}
