using CnnClassify.Data;
using CnnClassify.Models;
using CnnClassify.Serialization;
using CnnClassify.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Training;

public class TrainerTests
{
    public static TheoryData<string> OptimizerNames => new(["sgd", "nesterov", "adam", "adamw", "rmsprop"]);

    private static OptimizerSpec Optimizer(string name) => name switch
    {
        "sgd" => OptimizerSpec.Sgd(0.1, momentum: 0.9, weightDecay: 1e-4),
        "nesterov" => OptimizerSpec.Sgd(0.1, momentum: 0.9, nesterov: true),
        "adam" => OptimizerSpec.Adam(0.05),
        "adamw" => OptimizerSpec.AdamW(0.05),
        _ => OptimizerSpec.RmsProp(0.01),
    };

    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void Every_optimizer_learns_a_separable_task(string name)
    {
        using var model = TrainingData.Linear();
        var trainer = Trainer.For(model).UseOptimizer(Optimizer(name)).UseDevice(CPU).Build();

        var history = trainer.Fit(TrainingData.Loader(TrainingData.Separable(96)), TrainingData.Loader(TrainingData.Separable(48, seed: 1)), epochs: 6);

        Assert.True(history.Epochs[^1].TrainLoss < history.Epochs[0].TrainLoss, $"{name}: loss did not fall");
        Assert.True(history.Epochs[^1].ValidationAccuracy > 0.9, $"{name}: accuracy {history.Epochs[^1].ValidationAccuracy}");
    }

    [Fact]
    public void Events_run_in_order_with_one_step_per_batch()
    {
        using var model = TrainingData.Linear();
        var recorder = new RecordingCallback();
        var trainer = Trainer.For(model).AddCallback(recorder).Build();

        trainer.Fit(TrainingData.Loader(TrainingData.Separable(32)), TrainingData.Loader(TrainingData.Separable(16)), epochs: 1);

        Assert.Equal(
            ["train-begin", "epoch-begin 0", "batch-begin", "step", "batch-end", "batch-begin", "step", "batch-end", "validation-begin", "validation-end", "epoch-end 0", "train-end"],
            recorder.Events);
        Assert.Equal(2, trainer.GlobalStep);
        Assert.Equal(1, trainer.Epoch);
    }

    [Fact]
    public void Per_batch_schedules_change_the_rate_every_step_and_per_epoch_schedules_every_epoch()
    {
        var oneCycle = new RecordingCallback();
        var stepLr = new RecordingCallback();
        using var a = TrainingData.Linear();
        using var b = TrainingData.Linear();
        var data = TrainingData.Loader(TrainingData.Separable(48));

        Trainer.For(a).UseOptimizer(OptimizerSpec.Sgd(1.0)).UseSchedule(LearningRateSchedule.OneCycle()).AddCallback(oneCycle).Build().Fit(data, null, epochs: 2);
        Trainer.For(b).UseOptimizer(OptimizerSpec.Sgd(1.0)).UseSchedule(LearningRateSchedule.Step(1, 0.5)).AddCallback(stepLr).Build().Fit(data, null, epochs: 2);

        var expected = LearningRateSchedule.OneCycle();
        expected.Prepare(6);
        Assert.Equal(Enumerable.Range(0, 6).Select(step => expected.Factor(0, step)), oneCycle.StepLearningRates, new ToleranceComparer(1e-9));
        Assert.Equal([1.0, 1.0, 1.0, 0.5, 0.5, 0.5], stepLr.StepLearningRates);
    }

    [Fact]
    public void Parameter_groups_keep_their_own_rates_under_a_schedule()
    {
        using var model = ModelZoo.Create("lenet5", numClasses: 3, inChannels: 1);
        model.UnfreezeLastStages(1);
        var groups = model.ParameterGroups(1e-2, new Dictionary<string, double> { ["classifier"] = 1e-3 });
        var trainer = Trainer.For(model).UseParameterGroups(groups).UseSchedule(LearningRateSchedule.Step(1, 0.5)).Build();

        trainer.Fit(new DataLoader(TrainingData.Separable(8), new CnnClassify.Data.Transforms.Compose(new CnnClassify.Data.Transforms.Resize(28, 28), new CnnClassify.Data.Transforms.ToTensor()), new DataLoaderOptions { BatchSize = 8 }), null, epochs: 2);

        Assert.Equal([5e-3, 5e-4], trainer.LearningRates, new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Gradient_accumulation_over_two_batches_equals_one_batch_twice_the_size()
    {
        using var big = TrainingData.Linear(seed: 4);
        using var small = TrainingData.Linear(seed: 5);
        small.LoadStateDict(big.state_dict()); // same start, whatever other tests do to torch's generator meanwhile
        var dataset = TrainingData.Separable(32);

        Trainer.For(big).UseOptimizer(OptimizerSpec.Sgd(0.5)).Build().Fit(TrainingData.Loader(dataset, batchSize: 16, shuffle: false), null, epochs: 2);
        var accumulated = Trainer.For(small).UseOptimizer(OptimizerSpec.Sgd(0.5)).AccumulateGradients(2).Build();
        accumulated.Fit(TrainingData.Loader(dataset, batchSize: 8, shuffle: false), null, epochs: 2);

        Assert.Equal(4, accumulated.GlobalStep);
        Assert.Equal(TrainingData.Weights(big), TrainingData.Weights(small), new ToleranceComparer(1e-5));
    }

    [Fact]
    public void Clipping_by_norm_bounds_each_update()
    {
        using var model = TrainingData.Linear();
        var before = TrainingData.Weights(model);
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Sgd(1.0)).ClipGradientNorm(0.01).Build();

        trainer.Fit(TrainingData.Loader(TrainingData.Separable(16), batchSize: 16), null, epochs: 1);

        var change = Math.Sqrt(TrainingData.Weights(model).Zip(before).Sum(p => Math.Pow(p.First - p.Second, 2)));
        Assert.InRange(change, 0.0099, 0.0100001); // one step of lr 1 along a gradient clipped to norm 0.01
    }

    [Fact]
    public void Clipping_by_value_bounds_each_element()
    {
        using var model = TrainingData.Linear();
        var before = TrainingData.Weights(model);
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Sgd(1.0)).ClipGradientValue(0.001).Build();

        trainer.Fit(TrainingData.Loader(TrainingData.Separable(16), batchSize: 16), null, epochs: 1);

        var largest = TrainingData.Weights(model).Zip(before).Max(p => Math.Abs(p.First - p.Second));
        Assert.InRange(largest, 0.00099, 0.0010001);
    }

    [Fact]
    public void A_non_finite_loss_stops_with_the_epoch_and_step_or_is_skipped()
    {
        using var model = TrainingData.Linear();
        var poisoned = new PoisonedDataset(TrainingData.Separable(48), poisonedIndex: 20);
        var loader = TrainingData.Loader(poisoned, shuffle: false);

        var error = Assert.Throws<TrainingDivergedException>(() => Trainer.For(model).Build().Fit(loader, null, epochs: 1));
        using var other = TrainingData.Linear();
        var skipping = Trainer.For(other).OnNonFiniteLoss(NonFiniteLossPolicy.SkipBatch).Build();
        skipping.Fit(loader, null, epochs: 1);

        Assert.Equal((0, 1, 1L), (error.Epoch, error.Batch, error.GlobalStep));
        Assert.Contains("epoch 0, batch 1", error.Message);
        Assert.Equal(2, skipping.GlobalStep);
        Assert.All(TrainingData.Weights(other), w => Assert.True(float.IsFinite(w)));
    }

    [Fact]
    public void A_monitored_validation_metric_requires_validation_data()
    {
        using var model = TrainingData.Linear();
        var trainer = Trainer.For(model).AddCallback(new EarlyStopping()).Build();

        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(TrainingData.Loader(TrainingData.Separable(16)), null, epochs: 1));

        Assert.Contains("ValidationLoss is monitored", error.Message);
    }

    [Fact]
    public void Evaluating_an_ensemble_of_probabilities_scores_their_average()
    {
        using var a = TrainingData.Linear(seed: 1);
        using var b = TrainingData.Linear(seed: 2);
        var loader = TrainingData.Loader(TrainingData.Separable(30), batchSize: 30, shuffle: false);
        var trainer = Trainer.For(a).Build();
        using var ensemble = new Ensemble([a, b]);

        var result = trainer.Evaluate(loader, ensemble);

        using var batch = loader.Epoch().Single();
        using var noGrad = torch.no_grad();
        using var probabilities = (a.call(batch.Images).softmax(1) + b.call(batch.Images).softmax(1)) / 2;
        var expectedLoss = nn.functional.nll_loss(probabilities.log(), batch.Labels).item<float>();
        var expectedAccuracy = probabilities.argmax(1).eq(batch.Labels).to(ScalarType.Float32).mean().item<float>();
        Assert.Equal(expectedLoss, result.Loss, 4);
        Assert.Equal(expectedAccuracy, result.Accuracy, 5);
        Assert.Equal(1.0, result.Top5Accuracy); // three classes: the top 3 always hold the label
    }

    /// <summary>Returns a NaN image at one index, which makes that batch's loss NaN.</summary>
    private sealed class PoisonedDataset(IImageDataset inner, int poisonedIndex) : IImageDataset
    {
        public int Count => inner.Count;

        public IReadOnlyList<string> Classes => inner.Classes;

        public long LabelAt(int index) => inner.LabelAt(index);

        public ImageSample Read(int index)
        {
            var sample = inner.Read(index);
            if (index != poisonedIndex)
            {
                return sample;
            }

            sample.Dispose();
            return new ImageSample(torch.full([1, 4, 4], float.NaN), sample.Label, "poison");
        }
    }
}

/// <summary>Seeded runs use torch's global generator, so they run alone.</summary>
[Collection(SerialTests.Name)]
public class TrainerDeterminismTests
{
    [Fact]
    public void The_same_seed_gives_an_identical_history()
    {
        History Run()
        {
            using var model = TrainingData.Conv(seed: 9);
            return Trainer.For(model).UseSeed(5).UseBatchMixing(CnnClassify.Training.BatchMixer.MixUp(0.4)).Build()
                .Fit(TrainingData.Loader(TrainingData.Separable(64), seed: 2), TrainingData.Loader(TrainingData.Separable(32, seed: 3)), epochs: 2);
        }

        var first = Run();
        var second = Run();

        Assert.Equal(first.Epochs.Select(e => (e.TrainLoss, e.TrainAccuracy, e.ValidationLoss)), second.Epochs.Select(e => (e.TrainLoss, e.TrainAccuracy, e.ValidationLoss)));
    }
}

internal sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>, IEqualityComparer<float>
{
    public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

    public int GetHashCode(double obj) => 0;

    public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

    public int GetHashCode(float obj) => 0;
}

public class SeedingTests
{
    [Fact]
    public void Derived_generators_are_the_same_in_every_process()
    {
        // SplitMix64 of (1, 2, 3) and (7, 0, 0), computed independently in Python: a per-process
        // hash here would make resumed runs draw different MixUp batches.
        Assert.Equal(new Random(323015604).Next(), Seeding.For(1, 2, 3).Next());
        Assert.Equal(new Random(2078389035).Next(), Seeding.For(7, 0, 0).Next());
    }
}
