using CnnClassify.Layers;
using TorchSharp;

namespace CnnClassify.Tests.Layers;

public class InceptionBlockTests
{
    private static readonly InceptionChannels Inception3a = new(64, 96, 128, 16, 32, 32);

    [Fact]
    public void Inception_3a_matches_torchvision_googlenet_in_count_keys_and_shape()
    {
        using var block = new InceptionBlock(192, Inception3a);
        using var output = block.call(torch.randn(1, 192, 28, 28));

        // torchvision googlenet().inception3a has 155,872 parameters.
        Assert.Equal(155_872, TensorAssert.ParameterCount(block));
        Assert.Equal([1L, 256, 28, 28], output.shape);
        string[] bnKeys = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"];
        string[] prefixes = ["branch1", "branch2.0", "branch2.1", "branch3.0", "branch3.1", "branch4.1"];
        var expected = prefixes.SelectMany(p => new[] { $"{p}.conv.weight" }.Concat(bnKeys.Select(k => $"{p}.bn.{k}")));
        // TorchSharp lists parameters before buffers; PyTorch interleaves them. Loading is by key.
        Assert.Equal(expected.Order(StringComparer.Ordinal), block.state_dict().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_papers_5x5_wide_branch_changes_only_that_branchs_weights()
    {
        using var narrow = new InceptionBlock(192, Inception3a);
        using var wide = new InceptionBlock(192, Inception3a, wideKernelSize: 5);
        using var output = wide.call(torch.randn(1, 192, 7, 7));

        Assert.Equal(16 * 32 * (25 - 9), TensorAssert.ParameterCount(wide) - TensorAssert.ParameterCount(narrow));
        Assert.Equal([1L, 256, 7, 7], output.shape);
    }

    [Fact]
    public void Branch_outputs_are_concatenated_in_order_along_the_channels()
    {
        using var block = new InceptionBlock(2, new InceptionChannels(1, 1, 2, 1, 3, 4));
        using (torch.no_grad())
        {
            foreach (var (name, parameter) in block.named_parameters())
            {
                // Each branch's last BatchNorm bias marks its channels: branch k outputs k.
                var marker = name switch
                {
                    "branch1.bn.bias" => 1.0,
                    "branch2.1.bn.bias" => 2.0,
                    "branch3.1.bn.bias" => 3.0,
                    "branch4.1.bn.bias" => 4.0,
                    _ => 0.0,
                };
                parameter.fill_(name.EndsWith("bn.weight", StringComparison.Ordinal) ? 0.0 : marker);
            }
        }

        block.eval();
        using var output = block.call(torch.randn(1, 2, 3, 3));

        var perChannel = output.mean([2L, 3L]).flatten().data<float>().ToArray();
        Assert.Equal([1f, 2, 2, 3, 3, 3, 4, 4, 4, 4], perChannel);
    }

    [Fact]
    public void A_channel_count_below_one_is_rejected_by_name()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new InceptionBlock(8, Inception3a with { Reduce5x5 = 0 }));

        Assert.Equal("channels", error.ParamName);
        Assert.Contains("InceptionChannels.Reduce5x5", error.Message);
    }
}
