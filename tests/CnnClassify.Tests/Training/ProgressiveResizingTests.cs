using CnnClassify.Data;
using CnnClassify.Models;
using CnnClassify.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Training;

/// <summary>
/// Progressive resizing: the ramp's sizes worked by hand, the sizes a model actually sees epoch by
/// epoch (validation at full size), the description keeping the final size, and a model that
/// cannot take the small inputs refused before training.
/// </summary>
public sealed class ProgressiveResizingTests
{
    [Fact]
    public void The_linear_ramp_grows_in_steps_and_trains_the_last_quarter_at_full_size()
    {
        // Eight epochs: six ramp from 16 towards 32 (16 + 16e/6, to the nearest multiple of 8), two at 32.
        var resizing = ProgressiveResizing.Linear(startSize: 16, finalSize: 32);

        Assert.Equal([16, 16, 24, 24, 24, 32, 32, 32], Enumerable.Range(0, 8).Select(e => resizing.SizeAt(e, 8)));
        Assert.Equal(32, resizing.SizeAt(0, 1));
    }

    [Fact]
    public void Training_sees_the_scheduled_sizes_validation_the_full_size_and_the_description_keeps_it()
    {
        torch.manual_seed(0);
        using var model = CnnBuilder.Input(1, 32, 32).ConvBlock(4, 3).GlobalAvgPool().Dense(2).Build();
        var images = randint(0, 256, [8, 1, 32, 32], dtype: ScalarType.Byte, generator: new Generator(1));
        var data = new TensorDataset(images, [0, 1, 0, 1, 0, 1, 0, 1], ["a", "b"]);
        var seen = new SizeRecorder();
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Sgd(0.01)).UsePrecision(CnnClassify.Runtime.Precision.Fp32)
            .AddCallback(ProgressiveResizing.Linear(16, 32)).AddCallback(seen).Build();
        var validation = new ShapeProbe();
        var hook = model.register_forward_pre_hook(validation.Record);

        trainer.Fit(TrainingData.Loader(data, batchSize: 4), TrainingData.Loader(data, batchSize: 8, shuffle: false), epochs: 4);

        hook.remove();

        // Four epochs: three ramp (16, 21.3 -> 24, 26.7 -> 24), the last at 32.
        Assert.Equal([16, 16, 24, 24, 24, 24, 32, 32], seen.Sides);
        Assert.Equal([32, 32, 32, 32], validation.Sides.Where(s => s.Batch == 8).Select(s => s.Side));
        Assert.Equal((32, 32), (trainer.Configuration.InputHeight, trainer.Configuration.InputWidth));
    }

    [Fact]
    public void A_model_that_cannot_take_the_first_size_is_refused_before_training_naming_the_size()
    {
        torch.manual_seed(0);
        using var model = CnnBuilder.Input(1, 16, 16).Flatten().Dense(2).Build();
        var data = new TensorDataset(zeros([4, 1, 16, 16], dtype: ScalarType.Byte), [0, 1, 0, 1], ["a", "b"]);
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Sgd(0.01)).AddCallback(ProgressiveResizing.Linear(8, 16)).Build();

        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(TrainingData.Loader(data, batchSize: 2), validation: null, epochs: 4));

        Assert.Contains("does not take 8x8 inputs", error.Message, StringComparison.Ordinal);
    }

    private sealed class SizeRecorder : TrainerCallback
    {
        public List<int> Sides { get; } = [];

        public override void OnForwardBegin(TrainingContext context) => Sides.Add((int)context.Inputs!.shape[2]);
    }

    private sealed class ShapeProbe
    {
        public List<(long Batch, int Side)> Sides { get; } = [];

        public Tensor Record(nn.Module<Tensor, Tensor> module, Tensor input)
        {
            Sides.Add((input.shape[0], (int)input.shape[2]));
            return input;
        }
    }
}
