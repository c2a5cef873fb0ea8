using TorchSharp;
using static TorchSharp.torch;
using DataLoader = CnnClassify.Data.DataLoader;

namespace CnnClassify.Training;

public sealed partial class Trainer
{
    /// <summary>
    /// The learning-rate range test (Smith, 2017; fastai's <c>lr_find</c>): trains on
    /// <paramref name="train"/> while raising the rate exponentially, with this trainer's task,
    /// loss, precision, optimizer and parameter groups (each group at its share of the largest base
    /// rate), records the smoothed loss, stops once it diverges, and suggests rates. Afterwards
    /// everything is as before: weights, BatchNorm statistics, optimizer state, loss scale, random
    /// state, learning rates and the model's mode. Callbacks that change the batch or the loss (such
    /// as MixUp) take part; no other callback runs.
    /// </summary>
    /// <param name="train">Training batches; cycled when it has fewer batches than steps.</param>
    /// <param name="options">The range and the stopping rule; <see langword="null"/> for fastai's defaults.</param>
    /// <param name="cancellationToken">Stops the test between batches (the state is restored).</param>
    /// <returns>The rates and smoothed losses, with the valley, steepest and minimum/10 suggestions.</returns>
    /// <exception cref="InvalidOperationException">The first step's loss was not finite.</exception>
    public LearningRateFinderResult FindLearningRate(DataLoader train, LearningRateFinderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        options ??= new LearningRateFinderOptions();
        options.Validate();
        if (train.BatchesPerEpoch == 0)
        {
            throw new ArgumentException("The training loader yields no batch; is the dataset smaller than one batch with DropLast?", nameof(train));
        }

        LearningRateFinderResult? result = null;
        _strategy.Run(this, train, () => { }, () =>
        {
            result = RunRangeTest(train, options, cancellationToken);
            return History;
        });
        return result!;
    }

    /// <summary>
    /// Sets the learning rate of the parameter group with the largest base rate to
    /// <paramref name="rate"/> and scales the others' by the same factor, as <c>--lr auto</c> does
    /// with the range test's suggestion; schedules scale the new rates from here on.
    /// </summary>
    /// <param name="rate">The new largest base rate, above 0.</param>
    public void SetLearningRate(double rate)
    {
        if (!(rate > 0) || !double.IsFinite(rate))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The learning rate must be above 0 and finite.");
        }

        var top = _baseLearningRates.Max();
        for (var i = 0; i < _baseLearningRates.Count; i++)
        {
            _baseLearningRates[i] = _baseLearningRates[i] / top * rate;
        }

        SetLearningRates(_learningRateFactor);
    }

    private LearningRateFinderResult RunRangeTest(DataLoader train, LearningRateFinderOptions options, CancellationToken cancellationToken)
    {
        var groups = Optimizer.ParamGroups.ToList();
        var top = _baseLearningRates.Max();
        var shares = _baseLearningRates.Select(r => r / top).ToArray();

        var tried = new List<double>();
        var losses = new List<double>();
        var context = new TrainingContext(this, 1, train.BatchesPerEpoch);
        double average = 0, best = double.PositiveInfinity;
        Restoring("the state before the range test", () =>
        {
            using (torch.NewDisposeScope())
            {
                Optimizer.zero_grad();
            }

            var stop = false;
            for (var epoch = 0; !stop; epoch++)
            {
                var batchIndex = 0;
                var recorded = tried.Count;
                foreach (var batch in train.Epoch(epoch, cancellationToken))
                {
                    using var scope = torch.NewDisposeScope();
                    using (batch)
                    {
                        var rate = options.StartLearningRate * Math.Pow(options.EndLearningRate / options.StartLearningRate, tried.Count / (double)(options.Steps - 1));
                        for (var g = 0; g < groups.Count; g++)
                        {
                            groups[g].LearningRate = rate * shares[g];
                        }

                        (context.Epoch, context.BatchIndex, context.Batch) = (epoch, batchIndex++, batch);
                        var forward = Forward(batch, context);
                        if (_strategy.Any(forward is null))
                        {
                            Optimizer.zero_grad();
                            EndBatch(context);
                            continue;
                        }

                        var value = forward!.Value.Loss.item<float>();
                        var diverged = !float.IsFinite(value);
                        if (!_strategy.Any(diverged))
                        {
                            _precision.Backward(forward.Value.Loss);
                            ApplyGradients();
                            average = (options.Smoothing * average) + ((1 - options.Smoothing) * value);
                            var smoothed = average / (1 - Math.Pow(options.Smoothing, tried.Count + 1));
                            tried.Add(rate);
                            losses.Add(smoothed);
                            best = Math.Min(best, smoothed);
                            diverged = smoothed > options.DivergeFactor * best;
                        }

                        EndBatch(context);
                        stop = _strategy.Any(diverged) || tried.Count >= options.Steps;
                        if (stop)
                        {
                            break;
                        }
                    }
                }

                // A pass that recorded no step (every image unreadable, or every batch skipped) would repeat forever.
                stop |= tried.Count == recorded;
            }

            return 0;
        });

        return LearningRateSuggestions.From(tried, losses, options.Steps);
    }

    // Runs `work` in training mode, then puts the trainer back as it was: the whole state through
    // an in-memory checkpoint (exact resume's path: weights, BatchNorm statistics, optimizer and
    // loss-scaler state, random state), the groups' learning rates and the model's mode.
    private T Restoring<T>(string what, Func<T> work)
    {
        using var saved = new MemoryStream();
        Checkpoint.Save(this, saved);
        var groups = Optimizer.ParamGroups.ToList();
        var rates = groups.Select(g => g.LearningRate).ToArray();
        var wasTraining = Model.training;
        try
        {
            Model.train();
            return work();
        }
        finally
        {
            saved.Position = 0;
            Checkpoint.Load(this, saved, what);
            for (var g = 0; g < groups.Count; g++)
            {
                groups[g].LearningRate = rates[g];
            }

            Model.train(wasTraining);
        }
    }
}
