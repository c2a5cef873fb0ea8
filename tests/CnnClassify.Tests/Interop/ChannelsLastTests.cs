using CnnClassify.Data;
using CnnClassify.Models;
using CnnClassify.Native;
using CnnClassify.Tests.Training;
using CnnClassify.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Interop;

public class ChannelsLastTests
{
    [Fact]
    public void A_batch_keeps_its_shape_and_values_with_channels_innermost_in_memory()
    {
        using var images = arange(2 * 3 * 4 * 5, ScalarType.Float32).reshape(2, 3, 4, 5);

        using var converted = images.ToChannelsLast();

        Assert.Equal(images.shape, converted.shape);
        Assert.True(converted.eq(images).all().item<bool>());
        // [N, C, H, W] = [2, 3, 4, 5] stored as N, H, W, C: strides H*W*C, 1, W*C, C.
        Assert.Equal(new long[] { 60, 1, 15, 3 }, converted.stride());
        Assert.True(converted.IsChannelsLast());
        Assert.False(images.IsChannelsLast());
    }

    [Fact]
    public void One_channel_tensors_get_explicit_channels_last_strides_as_pytorch_writes_them()
    {
        // With one channel both orders pass the layout test, and LibTorch then keeps the
        // convolution (and the BatchNorm, ReLU and max pool after it) in the standard order. PyTorch
        // 2.6, on SimpleCNN().to(memory_format=torch.channels_last) and a [128, 1, 28, 28] batch in
        // torch.channels_last, reports weight strides (9, 1, 3, 1) and convolution output strides
        // (25088, 1, 896, 32).
        using var scope = NewDisposeScope();
        var images = rand([128, 1, 28, 28], generator: new Generator(4));
        var conv = nn.Conv2d(1, 32, 3, padding: 1);
        Assert.True(images.IsChannelsLast());

        var batch = images.ToChannelsLast();
        conv.ToChannelsLast();
        var output = conv.call(batch);

        Assert.Equal(new long[] { 784, 1, 28, 1 }, batch.stride());
        Assert.Equal(new long[] { 9, 1, 3, 1 }, conv.weight!.stride());
        Assert.Equal(new long[] { 25088, 1, 896, 32 }, output.stride());
        Assert.True(output.allclose(conv.call(images.contiguous()), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void A_tensor_that_is_not_a_batch_of_images_is_refused_with_its_shape()
    {
        using var image = zeros(3, 4, 5);

        var error = Assert.Throws<ArgumentException>(() => image.ToChannelsLast());

        Assert.Contains("[3, 4, 5]", error.Message);
        Assert.Equal("images", error.ParamName);
    }

    [Fact]
    public void Convolutions_keep_the_layout_and_the_values()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(3);
        var images = rand([2, 3, 8, 8], generator: generator);
        var conv = nn.Conv2d(3, 6, 3, padding: 1);

        var expected = conv.call(images);
        var actual = conv.call(images.ToChannelsLast());

        Assert.True(actual.IsChannelsLast());
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void The_trainer_feeds_channels_last_batches_and_learns_the_same_weights()
    {
        var images = randint(0, 256, [32, 3, 4, 4], dtype: ScalarType.Byte, generator: new Generator(5));
        var data = new TensorDataset(images, [.. Enumerable.Range(0, 32).Select(i => (long)(i % 2))], ["a", "b"]);
        var first = new LayoutProbe(CnnBuilder.Input(3, 4, 4).Conv(4, 3, padding: 1).BatchNorm().ReLU().Flatten().Dense(2).Build());
        var second = new LayoutProbe(CnnBuilder.Input(3, 4, 4).Conv(4, 3, padding: 1).BatchNorm().ReLU().Flatten().Dense(2).Build());
        using (no_grad())
        {
            foreach (var (target, source) in second.parameters().Zip(first.parameters()))
            {
                target.copy_(source);
            }
        }

        float[] Train(LayoutProbe model, bool channelsLast)
        {
            var loader = new DataLoader(data, new CnnClassify.Data.Transforms.ToTensor(), new DataLoaderOptions { BatchSize = 8 });
            var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Sgd(0.1, momentum: 0.9)).UseChannelsLast(channelsLast).Build();
            trainer.Fit(loader, loader, epochs: 2);
            return [.. model.parameters().SelectMany(p => p.detach().data<float>().ToArray())];
        }

        var plain = Train(first, channelsLast: false);
        var converted = Train(second, channelsLast: true);

        Assert.Equal([false], first.Layouts.Distinct());
        Assert.Equal([true], second.Layouts.Distinct());
        Assert.Equal(plain, converted, new ToleranceComparer(1e-5));
    }

    /// <summary>Records whether each batch reached the model channels-last.</summary>
    private sealed class LayoutProbe : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> _inner;

        public LayoutProbe(nn.Module<Tensor, Tensor> inner)
            : base(nameof(LayoutProbe))
        {
            _inner = inner;
            RegisterComponents();
        }

        public List<bool> Layouts { get; } = [];

        public override Tensor forward(Tensor input)
        {
            Layouts.Add(input.IsChannelsLast());
            return _inner.call(input);
        }
    }
}
