using CnnClassify.Data;
using CnnClassify.Layers;
using CnnClassify.Models;
using CnnClassify.Native;
using CnnClassify.Training;
using TorchSharp;
using TorchSharp.Modules;
using DataLoader = CnnClassify.Data.DataLoader;
using TensorDataset = CnnClassify.Data.TensorDataset;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Training;

/// <summary>Channels-last models: the weights reordered in place, trained, checkpointed and resumed like the standard layout.</summary>
/// <remarks>Serial: the same-run comparisons seed torch's global generator before building each model.</remarks>
[Collection(SerialTests.Name)]
public class ChannelsLastTests
{
    // Residual blocks bring 3x3 and 1x1 convolutions and BatchNorm; big enough maps keep the
    // trajectory well conditioned, so two layouts' rounding differences stay small.
    private static CnnModel Model()
    {
        torch.manual_seed(3);
        return CnnBuilder.Input(3, 16, 16).ConvBlock(8, 3).Residual(16, stride: 2).GlobalAvgPool().Dense(4).Build();
    }

    private static DataLoader Loader()
    {
        var images = torch.randint(0, 256, [24, 3, 16, 16], dtype: ScalarType.Byte, generator: new Generator(5));
        var dataset = new TensorDataset(images, Enumerable.Range(0, 24).Select(i => (long)(i % 4)).ToList(), ["a", "b", "c", "d"]);
        return new DataLoader(dataset, new CnnClassify.Data.Transforms.ToTensor(), new DataLoaderOptions { BatchSize = 8, Shuffle = true, Seed = 1 });
    }

    private static Trainer Trainer(CnnModel model, bool channelsLast) =>
        CnnClassify.Training.Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(1e-2)).UseChannelsLast(channelsLast).UseSeed(2).Build();

    // BatchNorm's step counter is an integer buffer; compare everything as float32.
    private static Tensor F(Tensor tensor) => tensor.to(ScalarType.Float32);

    private static Dictionary<string, Tensor> Weights(nn.Module model) =>
        model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().contiguous().clone());

    [Fact]
    public void Converting_a_model_reorders_its_four_dimensional_weights_in_place_and_keeps_values_and_flags()
    {
        using var model = Model();
        var before = Weights(model);
        var parameters = model.parameters().ToList();
        var frozen = parameters[0];
        frozen.requires_grad = false;

        model.ToChannelsLast();

        Assert.Equal(parameters.Select(p => p.Handle), model.parameters().Select(p => p.Handle));
        Assert.False(frozen.requires_grad);
        Assert.All(parameters.Skip(1), p => Assert.True(p.requires_grad));
        foreach (var (name, tensor) in model.state_dict())
        {
            Assert.True(tensor.dim() != 4 || tensor.IsChannelsLast(), name);
            TensorAssert.Equal(F(before[name]), F(tensor), 0);
        }
    }

    [Fact]
    public void A_channels_last_trainer_takes_the_steps_of_the_standard_one_and_keeps_the_layout()
    {
        // SGD: the two layouts round convolutions differently, and Adam's m / sqrt(v) would turn
        // rounding noise in near-zero gradients into full-size steps; SGD keeps it at rounding size.
        using var standard = Model();
        using var reordered = Model();
        var loader = Loader();
        CnnClassify.Training.Trainer.For(standard).UseOptimizer(OptimizerSpec.Sgd(0.05, momentum: 0.9)).UseSeed(2).Build().Fit(loader, null, epochs: 2);
        CnnClassify.Training.Trainer.For(reordered).UseOptimizer(OptimizerSpec.Sgd(0.05, momentum: 0.9)).UseChannelsLast().UseSeed(2).Build().Fit(loader, null, epochs: 2);

        foreach (var (name, tensor) in reordered.state_dict())
        {
            Assert.True(tensor.dim() != 4 || tensor.IsChannelsLast(), name);
            TensorAssert.Equal(F(standard.state_dict()[name]), F(tensor), 1e-4);
        }
    }

    [Fact]
    public void Adam_keeps_its_moments_in_the_weights_order_which_its_fused_kernel_needs()
    {
        using var model = Model();
        var trainer = Trainer(model, channelsLast: true);

        trainer.Fit(Loader(), null, epochs: 1);

        var moments = ((OptimizerHelper)trainer.Optimizer).state_dict().State.OfType<Adam.State>().SelectMany(s => new[] { s.exp_avg, s.exp_avg_sq }).Where(m => m.dim() == 4).ToList();
        Assert.NotEmpty(moments);
        Assert.All(moments, m => Assert.True(m.IsChannelsLast()));
        Assert.Contains(moments, m => !m.is_contiguous());
        Assert.All(moments, m => Assert.True(m.abs().sum().item<float>() > 0));
    }

    [Fact]
    public void A_checkpoint_of_a_channels_last_trainer_resumes_into_the_same_layout_and_the_same_run()
    {
        var folder = Directory.CreateTempSubdirectory("cnnclassify-cl-").FullName;
        try
        {
            var loader = Loader();
            using var straight = Model();
            Trainer(straight, channelsLast: true).Fit(loader, null, epochs: 3);

            using var first = Model();
            var path = Path.Combine(folder, "two.ckpt");
            var firstTrainer = Trainer(first, channelsLast: true);
            firstTrainer.Fit(loader, null, epochs: 2);
            firstTrainer.SaveCheckpoint(path);
            Assert.Contains(first.state_dict().Values, t => t.dim() == 4 && !t.is_contiguous());

            using var resumed = Model();
            var resumedTrainer = Trainer(resumed, channelsLast: true);
            resumedTrainer.LoadCheckpoint(path);
            var moments = ((OptimizerHelper)resumedTrainer.Optimizer).state_dict().State.OfType<Adam.State>().Select(s => s.exp_avg_sq).Where(m => m.dim() == 4).ToList();
            Assert.All(moments, m => Assert.True(m.IsChannelsLast()));
            Assert.Contains(moments, m => !m.is_contiguous());
            Assert.True(moments.Sum(m => m.abs().sum().item<float>()) > 0, "the moments were not restored");
            resumedTrainer.Fit(loader, null, epochs: 3);

            foreach (var (name, tensor) in resumed.state_dict())
            {
                TensorAssert.Equal(F(straight.state_dict()[name]), F(tensor), 1e-6);
            }

            // A standard-layout trainer reads the same file.
            using var plain = Model();
            var plainTrainer = Trainer(plain, channelsLast: false);
            plainTrainer.LoadCheckpoint(path);
            foreach (var (name, tensor) in plain.state_dict())
            {
                Assert.True(tensor.is_contiguous(), name);
                TensorAssert.Equal(F(first.state_dict()[name]), F(tensor), 0);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
