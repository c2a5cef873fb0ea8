using CnnClassify.Runtime;
using CnnClassify.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using BatchNorm2d = CnnClassify.Layers.BatchNorm2d;

namespace CnnClassify.Tests.Training;

public class MixedPrecisionTests
{
    [Fact]
    public void Under_bf16_autocast_conv_and_linear_are_low_precision_while_the_loss_and_batchnorm_statistics_stay_fp32()
    {
        using var model = TrainingData.Conv();
        var dtypes = new Dictionary<string, ScalarType>();
        foreach (var (name, module) in model.named_children())
        {
            ((nn.Module<Tensor, Tensor>)module).register_forward_hook((_, _, output) => { dtypes[name] = output.dtype; return null!; });
        }

        using (Autocast.Enable(CPU, ScalarType.BFloat16))
        {
            Assert.True(Autocast.IsEnabledOnCpu);
            using var logits = model.call(torch.rand(4, 1, 4, 4));
            using var loss = CnnClassify.Runtime.LossFunction.CrossEntropy().Compute(logits, torch.tensor(new long[] { 0, 1, 2, 0 }));
            loss.backward();
            Assert.Equal(ScalarType.Float32, loss.dtype);
        }

        Assert.False(Autocast.IsEnabledOnCpu);
        Assert.Equal(ScalarType.BFloat16, dtypes["conv1"]);
        Assert.Equal(ScalarType.BFloat16, dtypes["fc1"]);
        var bn = (BatchNorm2d)model[1];
        Assert.Equal(ScalarType.Float32, bn.running_mean!.dtype);
        Assert.True(bn.running_mean!.abs().sum().item<float>() > 0);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.grad!.dtype)); // float32 master weights
    }

    [Fact]
    public void Autocast_scopes_nest_and_restore_the_previous_state()
    {
        using (Autocast.Enable(CPU, ScalarType.BFloat16))
        {
            using (Autocast.Enable(CPU, ScalarType.BFloat16))
            {
                Assert.True(Autocast.IsEnabledOnCpu);
            }

            Assert.True(Autocast.IsEnabledOnCpu);
        }

        Assert.False(Autocast.IsEnabledOnCpu);
    }

    [Fact]
    public void Training_in_bf16_converges_on_a_small_task()
    {
        using var model = TrainingData.Conv();
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(0.02)).UsePrecision(Precision.Bf16).Build();

        var history = trainer.Fit(TrainingData.Loader(TrainingData.Separable(96)), TrainingData.Loader(TrainingData.Separable(48, seed: 1)), epochs: 5);

        Assert.True(history.Epochs[^1].ValidationAccuracy > 0.9, $"accuracy {history.Epochs[^1].ValidationAccuracy}");
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
    }

    [Fact]
    public void The_scaler_skips_a_step_with_infinite_gradients_and_halves_its_scale()
    {
        using var weight = nn.Parameter(torch.ones(2));
        using var optimizer = optim.SGD([weight], 0.1);
        var scaler = new GradScaler(initialScale: 1024, growthInterval: 2);

        weight.grad = torch.tensor(new float[] { float.PositiveInfinity, 1 });
        var stepped = scaler.Step(optimizer);
        scaler.Update();

        Assert.False(stepped);
        Assert.Equal(512, scaler.Scale);
        Assert.Equal(1, scaler.SkippedSteps);
        Assert.Equal([1f, 1f], weight.data<float>().ToArray());
    }

    [Fact]
    public void The_scaler_unscales_gradients_and_grows_after_clean_steps()
    {
        using var weight = nn.Parameter(torch.ones(2));
        using var optimizer = optim.SGD([weight], 0.1);
        var scaler = new GradScaler(initialScale: 8, growthInterval: 2);

        using (var loss = scaler.ScaleLoss((weight * torch.tensor(new float[] { 1, 2 })).sum()))
        {
            loss.backward();
        }

        Assert.Equal([8f, 16f], weight.grad!.data<float>().ToArray());
        Assert.True(scaler.Step(optimizer));
        scaler.Update();
        Assert.Equal([0.9f, 0.8f], weight.data<float>().ToArray(), new ToleranceComparer(1e-6));
        Assert.Equal(8, scaler.Scale);

        weight.grad!.fill_(8);
        scaler.Step(optimizer);
        scaler.Update();
        Assert.Equal(16, scaler.Scale); // two clean steps: the scale doubles
        Assert.Equal(0, scaler.GrowthTracker);
    }
}

public class Fp16TrainingTests
{
    [Fact]
    public void Fp16_training_runs_the_loss_scaler_and_learns()
    {
        using var model = TrainingData.Linear();
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(0.05)).UsePrecision(Precision.Fp16).Build();

        var history = trainer.Fit(TrainingData.Loader(TrainingData.Separable(96)), TrainingData.Loader(TrainingData.Separable(48, seed: 1)), epochs: 5);

        Assert.NotNull(trainer.Scaler);
        Assert.Equal(65536, trainer.Scaler!.Scale); // no overflow at this scale: no step skipped, no growth before 2,000 steps
        Assert.Equal(0, trainer.Scaler.SkippedSteps);
        Assert.True(history.Epochs[^1].ValidationAccuracy > 0.9);
    }
}
