using CnnClassify.Training;

namespace CnnClassify.Tests.Training;

/// <summary>
/// Callbacks acting on the loop. The models start from torch's global generator and one test
/// expects what training reaches from that start, so the class runs with the serial tests.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class CallbackTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-callbacks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Validation labels are shifted relative to training labels, so validation accuracy falls as training improves.
    private static CnnClassify.Data.DataLoader Train => TrainingData.Loader(TrainingData.Separable(96));

    private static CnnClassify.Data.DataLoader Contrary => TrainingData.Loader(TrainingData.Separable(48, seed: 1, invertLabels: true));

    [Fact]
    public void A_callback_can_skip_batches_and_replace_the_loss_and_targets()
    {
        using var skipped = TrainingData.Linear();
        using var zeroed = TrainingData.Linear();
        using var relabelled = TrainingData.Linear();
        var before = TrainingData.Weights(zeroed);

        // 96 samples in batches of 16: six batches, every other one skipped.
        var skipping = Trainer.For(skipped).UseOptimizer(OptimizerSpec.Sgd(0.1)).AddCallback(new Acting(c => c.SkipBatch = c.BatchIndex % 2 == 1, null)).Build();
        var skipHistory = skipping.Fit(Train, null, epochs: 1);
        Trainer.For(zeroed).UseOptimizer(OptimizerSpec.Sgd(0.1)).AddCallback(new Acting(null, c => c.Loss = c.Loss! * 0.0)).Build().Fit(Train, null, epochs: 1);
        var relabelling = Trainer.For(relabelled).UseOptimizer(OptimizerSpec.Sgd(0.1)).AddCallback(new Acting(c => c.Targets = (c.Targets! + 1) % 3, null)).Build();
        var relabelHistory = relabelling.Fit(Train, Contrary, epochs: 3);

        Assert.Equal(3, skipping.GlobalStep);
        Assert.True(double.IsFinite(skipHistory.Epochs[0].TrainLoss));
        Assert.Equal(before, TrainingData.Weights(zeroed));
        // Trained on inverted targets, the model agrees with the inverted validation labels.
        Assert.True(relabelHistory.Epochs[^1].ValidationAccuracy > 0.9, $"validation accuracy {relabelHistory.Epochs[^1].ValidationAccuracy}");
    }

    private sealed class Acting(Action<TrainingContext>? forwardBegin, Action<TrainingContext>? loss) : TrainerCallback
    {
        public override void OnForwardBegin(TrainingContext context) => forwardBegin?.Invoke(context);

        public override void OnLoss(TrainingContext context) => loss?.Invoke(context);
    }

    [Fact]
    public void Early_stopping_stops_after_patience_and_restores_the_best_weights()
    {
        var recorder = new RecordingCallback();
        var stopping = new EarlyStopping(patience: 1, Metric.ValidationAccuracy);
        using var model = TrainingData.Linear();
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(0.05)).AddCallback(recorder).AddCallback(stopping).Build();

        var history = trainer.Fit(Train, Contrary, epochs: 20);

        var best = history.Best(Metric.ValidationAccuracy)!.Epoch;
        Assert.Equal(best, stopping.BestEpoch);
        Assert.Equal(best + 2, history.Epochs.Count); // the best epoch, then patience + 1 worse ones
        Assert.Equal(history.Epochs.Count - 1, stopping.StoppedEpoch);
        Assert.Equal(recorder.WeightsAfterEpoch[best], TrainingData.Weights(model));
    }

    [Fact]
    public void Best_weights_are_restored_also_when_the_epochs_run_out()
    {
        var recorder = new RecordingCallback();
        var stopping = new EarlyStopping(patience: 100, Metric.ValidationAccuracy);
        using var model = TrainingData.Linear();
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(0.05)).AddCallback(recorder).AddCallback(stopping).Build();

        var history = trainer.Fit(Train, Contrary, epochs: 4);

        Assert.Null(stopping.StoppedEpoch);
        Assert.Equal(4, history.Epochs.Count);
        Assert.Equal(recorder.WeightsAfterEpoch[stopping.BestEpoch!.Value], TrainingData.Weights(model));
    }

    [Fact]
    public void Csv_logger_writes_a_header_and_a_line_per_epoch()
    {
        var path = Path.Combine(_dir, "history.csv");
        using var model = TrainingData.Linear();
        Trainer.For(model).AddCallback(new CsvLogger(path)).Build().Fit(Train, Contrary, epochs: 3);

        var lines = File.ReadAllLines(path);

        Assert.Equal(History.CsvHeader, lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("2,", lines[3]);
        Assert.Equal(10, lines[3].Split(',').Length);
    }

    [Fact]
    public void Progress_is_reported_per_batch_and_per_epoch()
    {
        var reports = new List<TrainingProgress>();
        using var model = TrainingData.Linear();
        Trainer.For(model).AddCallback(new ProgressReporter(new SynchronousProgress(reports.Add))).Build().Fit(Train, null, epochs: 2);

        Assert.Equal(2 * (6 + 1), reports.Count);
        Assert.Equal([6, 6], reports.Where(r => r.EpochMetrics is not null).Select(r => r.Batches));
        Assert.Equal(Enumerable.Range(1, 6), reports.Take(6).Select(r => r.Batch));
        Assert.All(reports, r => Assert.Equal(6, r.Batches));
    }

    [Fact]
    public void TensorBoard_logger_writes_an_event_file()
    {
        using var model = TrainingData.Linear();
        Trainer.For(model).AddCallback(new TensorBoardLogger(_dir)).Build().Fit(Train, Contrary, epochs: 1);

        var events = Directory.GetFiles(_dir, "events.out.tfevents.*", SearchOption.AllDirectories);
        Assert.NotEmpty(events);
        Assert.True(new FileInfo(events[0]).Length > 100);
    }

    [Fact]
    public void Ema_follows_the_averaging_formula_and_validation_uses_it()
    {
        var weights = new List<float[]>();
        var ema = new ExponentialMovingAverage(decay: 0.5, applyAtEnd: true);
        using var model = TrainingData.Linear();
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Sgd(0.5)).AddCallback(new StepWeights(weights)).AddCallback(ema).Build();
        var initial = TrainingData.Weights(model);

        trainer.Fit(TrainingData.Loader(TrainingData.Separable(48), batchSize: 16), null, epochs: 1);

        // The recorder runs before the EMA callback, so it sees each step's raw weights.
        var expected = initial;
        foreach (var step in weights)
        {
            expected = expected.Zip(step).Select(p => (0.5f * p.First) + (0.5f * p.Second)).ToArray();
        }

        Assert.Equal(3, weights.Count);
        Assert.Equal(expected, TrainingData.Weights(model), new ToleranceComparer(1e-6)); // applied at the end
    }

    [Fact]
    public void Two_callbacks_with_one_name_are_refused()
    {
        using var model = TrainingData.Linear();

        var error = Assert.Throws<InvalidOperationException>(() => Trainer.For(model).AddCallback(new RecordingCallback("x")).AddCallback(new RecordingCallback("x")).Build());

        Assert.Contains("'x'", error.Message);
    }

    private sealed class StepWeights(List<float[]> weights) : TrainerCallback
    {
        public override void OnOptimizerStep(TrainingContext context) => weights.Add(TrainingData.Weights(context.Trainer.Model));
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}

[Collection(SerialTests.Name)]
public class CallbackEdgeTests
{
    [Fact]
    public void Best_weights_are_restored_even_when_training_fails()
    {
        var recorder = new RecordingCallback();
        var stopping = new EarlyStopping(patience: 5, Metric.TrainLoss);
        using var model = TrainingData.Linear();
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(0.05)).AddCallback(recorder).AddCallback(stopping).AddCallback(new FailAt(2)).Build();

        Assert.Throws<InvalidOperationException>(() => trainer.Fit(TrainingData.Loader(TrainingData.Separable(48)), null, epochs: 5));

        Assert.Equal(recorder.WeightsAfterEpoch[stopping.BestEpoch!.Value], TrainingData.Weights(model));
        Assert.Equal(3, recorder.WeightsAfterEpoch.Count);
    }

    [Fact]
    public void Min_delta_ignores_improvements_smaller_than_it()
    {
        var stopping = new EarlyStopping(patience: 2, Metric.TrainLoss, minDelta: 1e6);
        using var model = TrainingData.Linear();
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(0.05)).AddCallback(stopping).Build();

        var history = trainer.Fit(TrainingData.Loader(TrainingData.Separable(48)), null, epochs: 10);

        Assert.True(history.Epochs[2].TrainLoss < history.Epochs[0].TrainLoss);
        Assert.Equal(3, history.Epochs.Count); // no gain beats 1e6, so epochs 1 and 2 count as without improvement
        Assert.Equal(0, stopping.BestEpoch);
    }

    [Fact]
    public void Validation_runs_on_the_ema_weights_and_training_continues_on_the_raw_ones()
    {
        var ema = new ExponentialMovingAverage(decay: 0.9, applyAtEnd: false);
        var seen = new ValidationWeights(ema);
        using var model = TrainingData.Linear();
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Sgd(0.5)).AddCallback(ema).AddCallback(seen).Build();

        trainer.Fit(TrainingData.Loader(TrainingData.Separable(48)), TrainingData.Loader(TrainingData.Separable(16, 1)), epochs: 2);

        Assert.Equal(2, seen.Matches);
        Assert.NotEqual(ema.Average!.Values.SelectMany(t => t.data<float>().ToArray()), TrainingData.Weights(model));
    }

    [Fact]
    public void The_thread_count_option_sets_torchs_threads()
    {
        var before = TorchSharp.torch.get_num_threads();
        try
        {
            Trainer.For(TrainingData.Linear()).UseThreads(1).Build();
            Assert.Equal(1, TorchSharp.torch.get_num_threads());
        }
        finally
        {
            TorchSharp.torch.set_num_threads(before);
        }
    }

    private sealed class FailAt(int epoch) : TrainerCallback
    {
        public override void OnEpochEnd(TrainingContext context)
        {
            if (context.Epoch == epoch)
            {
                throw new InvalidOperationException("simulated failure");
            }
        }
    }

    private sealed class ValidationWeights(ExponentialMovingAverage ema) : TrainerCallback
    {
        public int Matches { get; private set; }

        public override void OnValidationBegin(TrainingContext context)
        {
            var averaged = ema.Average!.Values.SelectMany(t => t.data<float>().ToArray()).ToArray();
            if (averaged.SequenceEqual(TrainingData.Weights(context.Trainer.Model)))
            {
                Matches++;
            }
        }
    }
}
