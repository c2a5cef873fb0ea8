using CnnClassify.Data.Transforms;
using CnnClassify.Models;
using CnnClassify.Serialization;
using CnnClassify.Training;
using TorchSharp;
using static TorchSharp.torch;
using DataLoader = CnnClassify.Data.DataLoader;
using DataLoaderOptions = CnnClassify.Data.DataLoaderOptions;

namespace CnnClassify.Tests.Training;

[Collection(SerialTests.Name)]
public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-checkpoints-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DataLoader Augmented(int count, int seed) =>
        new(TrainingData.Separable(count, seed), new Compose(new RandomHorizontalFlip(), new ToTensor()), new DataLoaderOptions { BatchSize = 16, Shuffle = true, Seed = seed });

    private Trainer NewTrainer(RecordingCallback recorder, int modelSeed, TrainerCallback? extra = null)
    {
        var builder = Trainer.For(TrainingData.Conv(modelSeed))
            .UseOptimizer(OptimizerSpec.Adam(0.01))
            .UseSchedule(LearningRateSchedule.OneCycle())
            .UseBatchMixing(BatchMixer.MixUp(0.4))
            .UseSeed(11)
            .AddCallback(recorder)
            .AddCallback(new CheckpointCallback(_dir, Metric.ValidationAccuracy))
            .AddCallback(new EarlyStopping(patience: 10, Metric.ValidationAccuracy, restoreBestWeights: false));
        return (extra is null ? builder : builder.AddCallback(extra)).Build();
    }

    [Fact]
    public void Resuming_after_two_epochs_continues_the_same_lr_curve_and_reaches_the_same_weights()
    {
        var straightRecorder = new RecordingCallback();
        var straight = NewTrainer(straightRecorder, modelSeed: 1);
        straight.Fit(Augmented(64, 1), Augmented(32, 2), epochs: 4);

        // The same 4-epoch run, killed after its second epoch's checkpoint.
        var firstHalf = new RecordingCallback();
        NewTrainer(firstHalf, modelSeed: 1, new StopAfter(epochs: 2)).Fit(Augmented(64, 1), Augmented(32, 2), epochs: 4);
        var checkpoint = Path.Combine(_dir, "epoch2.ckpt");
        File.Copy(Path.Combine(_dir, "last.ckpt"), checkpoint);

        var secondHalf = new RecordingCallback();
        var resumed = NewTrainer(secondHalf, modelSeed: 99); // different initial weights: all must come from the checkpoint
        resumed.LoadCheckpoint(checkpoint);
        Assert.Equal((2, 8L), (resumed.Epoch, resumed.GlobalStep));
        resumed.Fit(Augmented(64, 1), Augmented(32, 2), epochs: 4);

        Assert.Equal(straightRecorder.StepLearningRates, [.. firstHalf.StepLearningRates, .. secondHalf.StepLearningRates]);
        Assert.Equal(TrainingData.Weights(straight.Model), TrainingData.Weights(resumed.Model), new ToleranceComparer(1e-5));
        Assert.Equal(straight.History.Epochs.Select(e => e.TrainLoss), resumed.History.Epochs.Select(e => e.TrainLoss), new ToleranceComparer(1e-5));
    }

    [Fact]
    public void After_resuming_early_stopping_restores_a_best_epoch_from_before_the_checkpoint()
    {
        Trainer Build(int seed) => Trainer.For(TrainingData.Linear(seed)).UseOptimizer(OptimizerSpec.Adam(0.05))
            .AddCallback(new CheckpointCallback(_dir, Metric.ValidationAccuracy))
            .AddCallback(new EarlyStopping(patience: 100, Metric.ValidationAccuracy))
            .Build();
        var train = TrainingData.Loader(TrainingData.Separable(96));
        var contrary = TrainingData.Loader(TrainingData.Separable(48, seed: 1, invertLabels: true));
        var first = Build(1);
        first.Fit(train, contrary, epochs: 3);
        var bestEpoch = first.History.Best(Metric.ValidationAccuracy)!.Epoch;

        var resumed = Build(2);
        resumed.LoadCheckpoint(Path.Combine(_dir, "last.ckpt"));
        resumed.Fit(train, contrary, epochs: 4);

        using var best = TrainingData.Linear(3);
        Checkpoint.LoadModel(Path.Combine(_dir, "best.ckpt"), best);
        Assert.True(resumed.History.Best(Metric.ValidationAccuracy)!.Epoch <= 2, "the best epoch should come before the checkpoint");
        Assert.Equal(bestEpoch, resumed.History.Best(Metric.ValidationAccuracy)!.Epoch);
        Assert.Equal(TrainingData.Weights(best), TrainingData.Weights(resumed.Model));
    }

    [Fact]
    public void Checkpoints_carry_an_overridden_configuration_and_are_kept_best_last_and_every_n()
    {
        var configuration = new ModelConfiguration { Architecture = "tiny", NumClasses = 3, InChannels = 1, InputHeight = 4, InputWidth = 4, ClassNames = ["x", "y", "z"], Preprocessing = new Preprocessing { Mean = [0.5], Std = [0.25] } };
        using var model = TrainingData.Linear();
        var trainer = Trainer.For(model).WithConfiguration(configuration).AddCallback(new CheckpointCallback(_dir, everyEpochs: 2)).Build();

        trainer.Fit(TrainingData.Loader(TrainingData.Separable(32)), TrainingData.Loader(TrainingData.Separable(16, 1)), epochs: 4);

        Assert.Equal(["best.ckpt", "epoch-0002.ckpt", "epoch-0004.ckpt", "last.ckpt"], Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var read = Checkpoint.ReadConfiguration(Path.Combine(_dir, "last.ckpt"));
        Assert.Equal(configuration.ClassNames, read.ClassNames);
        Assert.Equal((configuration.Architecture, configuration.InChannels, configuration.InputHeight, configuration.InputWidth), (read.Architecture, read.InChannels, read.InputHeight, read.InputWidth));
        Assert.Equal(configuration.Preprocessing.Std, read.Preprocessing.Std);
        using var restored = TrainingData.Linear(seed: 5);
        Checkpoint.LoadModel(Path.Combine(_dir, "last.ckpt"), restored);
        Assert.Equal(TrainingData.Weights(model), TrainingData.Weights(restored));
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_file_whole_and_no_temporary_behind()
    {
        var path = Path.Combine(_dir, "state.bin");
        File.WriteAllText(path, "previous");

        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new IOException("disk full");
        }));

        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void A_file_that_is_not_a_checkpoint_is_named_in_the_error()
    {
        var path = Path.Combine(_dir, "notes.ckpt");
        File.WriteAllText(path, "not a zip");
        var trainer = Trainer.For(TrainingData.Linear()).Build();

        var error = Assert.Throws<InvalidDataException>(() => trainer.LoadCheckpoint(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("not a CnnClassify checkpoint", error.Message);
    }

    private sealed class StopAfter(int epochs) : TrainerCallback
    {
        public override void OnEpochEnd(TrainingContext context) => context.StopTraining |= context.Epoch + 1 >= epochs;
    }
}
