using CnnClassify.Models;
using CnnClassify.Training;
using TorchSharp;
using TorchSharp.Modules;

namespace CnnClassify.Tests.Training;

/// <summary>Staged unfreezing runs inside one trainer: one optimizer, a continuous schedule, exact resume.</summary>
[Collection(SerialTests.Name)]
public sealed class GradualUnfreezingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-unfreezing-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Two stages with parameters and a head: conv1+bn1 | conv2 | fc1.</summary>
    private static CnnModel Model(int seed)
    {
        torch.manual_seed(seed);
        return CnnBuilder.Input(1, 4, 4)
            .Conv(4, 3, padding: 1).BatchNorm().ReLU().MaxPool(2)
            .Conv(6, 3, padding: 1).ReLU().MaxPool(2)
            .Flatten().Dense(3)
            .Build();
    }

    private static TrainerBuilder Configure(CnnModel model, GradualUnfreezing unfreezing) =>
        Trainer.For(model)
            .UseOptimizer(OptimizerSpec.Adam(0.01))
            .UseSchedule(LearningRateSchedule.CosineAnnealing(4))
            .UseSeed(3)
            .AddCallback(unfreezing);

    [Fact]
    public void Stages_join_one_optimizer_whose_state_survives_and_whose_rates_follow_the_schedule()
    {
        using var model = Model(1);
        var unfreezing = new GradualUnfreezing(epochsPerStage: 1, learningRateFactor: 0.5);
        var recorder = new RecordingCallback();
        var trainer = Configure(model, unfreezing).AddCallback(recorder).Build();
        var optimizer = trainer.Optimizer;
        var loader = TrainingData.Loader(TrainingData.Separable(32));
        Assert.Equal(["fc1.weight", "fc1.bias"], model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name));

        trainer.Fit(loader, null, epochs: 4);

        Assert.Same(optimizer, trainer.Optimizer);
        Assert.Equal(["stage2", "stage1"], unfreezing.AddedGroups.Select(g => g.Name));
        Assert.Equal([0.01, 0.005, 0.0025], trainer.BaseLearningRates);
        var groups = trainer.Optimizer.ParamGroups.ToList();
        Assert.Equal(3, groups.Count);
        Assert.True(model.parameters().All(p => p.requires_grad));

        // The head's Adam state counts every step of the run: it was never reset.
        var state = ((OptimizerHelper)trainer.Optimizer).state_dict();
        var stepsPerEpoch = loader.BatchesPerEpoch;
        Assert.Equal(4 * stepsPerEpoch, ((Adam.State)state.State[0]).step);
        Assert.Equal(2 * stepsPerEpoch, ((Adam.State)state.State[^1]).step);

        // Per-epoch cosine factors scale every group; the head's curve is the schedule's own.
        var expected = Enumerable.Range(0, 4).Select(e => 0.01 * (1 + Math.Cos(Math.PI * e / 4)) / 2).ToArray();
        Assert.Equal(expected, recorder.EpochLearningRates.Select(rates => rates[0]), new ToleranceComparer(1e-12));
        Assert.Equal([1, 2, 3, 3], recorder.EpochLearningRates.Select(rates => rates.Count));
        Assert.Equal(expected[3] * 0.25, recorder.EpochLearningRates[3][2], 12);
    }

    [Fact]
    public void Resuming_between_two_stages_gives_the_weights_of_a_straight_run()
    {
        using var straight = Model(1);
        var loader = TrainingData.Loader(TrainingData.Separable(32));
        Configure(straight, new GradualUnfreezing(epochsPerStage: 1, maxStages: 2))
            .AddCallback(new CheckpointCallback(Path.Combine(_dir, "straight"), Metric.TrainLoss)).Build()
            .Fit(loader, null, epochs: 4);

        using var interrupted = Model(1);
        var stopped = Configure(interrupted, new GradualUnfreezing(epochsPerStage: 1, maxStages: 2))
            .AddCallback(new CheckpointCallback(Path.Combine(_dir, "resumed"), Metric.TrainLoss)).Build();
        stopped.Fit(loader, null, epochs: 2);
        Assert.Equal(2, stopped.Optimizer.ParamGroups.Count());

        using var resumedModel = Model(7);
        var unfreezing = new GradualUnfreezing(epochsPerStage: 1, maxStages: 2);
        var resumed = Configure(resumedModel, unfreezing).AddCallback(new CheckpointCallback(Path.Combine(_dir, "resumed"), Metric.TrainLoss)).Build();
        resumed.LoadCheckpoint(Path.Combine(_dir, "resumed", "last.ckpt"));
        Assert.Equal(1, unfreezing.UnfrozenStages);
        resumed.Fit(loader, null, epochs: 4);

        Assert.Equal(TrainingData.Weights(straight), TrainingData.Weights(resumedModel), new ToleranceComparer(1e-5));
        Assert.Equal(3, resumed.Optimizer.ParamGroups.Count());
    }

    [Fact]
    public void A_module_without_stages_is_refused_when_the_trainer_is_built()
    {
        using var module = torch.nn.Linear(4, 2);
        var builder = Trainer.For(torch.nn.Sequential(("flatten", torch.nn.Flatten()), ("fc", module))).AddCallback(new GradualUnfreezing());

        var error = Assert.Throws<ArgumentException>(() => builder.Build());

        Assert.Contains("GradualUnfreezing needs a ClassificationModel", error.Message, StringComparison.Ordinal);
    }
}
