using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace CnnClassify.Training;

/// <summary>
/// Reports <see cref="TrainingProgress"/> (loss, images per second, time left for the epoch and
/// the run) through <see cref="IProgress{T}"/> after every batch, when validation starts and at
/// each epoch's end, and logs a summary line per epoch at information level.
/// </summary>
/// <remarks>
/// Reports are made synchronously on the training thread; an <see cref="IProgress{T}"/> that
/// is slow to return slows training. <see cref="ConsoleProgress"/> draws them in a terminal.
/// </remarks>
public sealed partial class ProgressReporter : TrainerCallback
{
    private readonly IProgress<TrainingProgress>? _progress;
    private readonly ILogger? _logger;
    private readonly Stopwatch _epochClock = new();
    private readonly Stopwatch _validationClock = new();
    private TimeSpan? _lastEpoch;
    private TimeSpan _lastValidation;
    private long _samples;
    private double _lossSum;
    private int _batches;

    /// <summary>Creates the reporter.</summary>
    /// <param name="progress">Receives the reports; may be <see langword="null"/> to log only.</param>
    /// <param name="logger">Receives one information line per epoch; <see langword="null"/> for the trainer's <see cref="Trainer.Logger"/>.</param>
    public ProgressReporter(IProgress<TrainingProgress>? progress = null, ILogger? logger = null)
    {
        _progress = progress;
        _logger = logger;
    }

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingContext context)
    {
        _lastEpoch = null;
        _lastValidation = TimeSpan.Zero;
    }

    /// <inheritdoc />
    public override void OnEpochBegin(TrainingContext context)
    {
        (_samples, _lossSum, _batches) = (0, 0, 0);
        _epochClock.Restart();
    }

    /// <inheritdoc />
    public override void OnBatchEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var count = context.Batch?.Count ?? 0;
        _batches = context.BatchIndex + 1;
        _samples += count;
        _lossSum += context.BatchLoss * count;
        _progress?.Report(Report(context, validating: false));
    }

    /// <inheritdoc />
    public override void OnValidationBegin(TrainingContext context)
    {
        _validationClock.Restart();
        _progress?.Report(Report(context, validating: true));
    }

    /// <inheritdoc />
    public override void OnValidationEnd(TrainingContext context) => _lastValidation = _validationClock.Elapsed;

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = context.EpochMetrics!;
        _lastEpoch = _epochClock.Elapsed;
        _progress?.Report(Report(context, validating: false) with
        {
            Loss = m.TrainLoss,
            AverageLoss = m.TrainLoss,
            LearningRate = m.LearningRate,
            SamplesPerSecond = m.SamplesPerSecond,
            EpochRemaining = TimeSpan.Zero,
            RunRemaining = _lastEpoch * Math.Max(0, context.Epochs - context.Epoch - 1),
            EpochMetrics = m,
        });
        LogEpoch(_logger ?? context.Trainer.Logger, m.Epoch + 1, context.Epochs, m.TrainLoss, m.TrainAccuracy, m.ValidationLoss ?? double.NaN, m.ValidationAccuracy ?? double.NaN, m.LearningRate, m.Seconds);
    }

    private TrainingProgress Report(TrainingContext context, bool validating)
    {
        var elapsed = _epochClock.Elapsed;
        var batches = context.BatchesPerEpoch;
        TimeSpan? epochRemaining = null, runRemaining = null;
        if (_batches > 0)
        {
            var perBatch = elapsed / _batches;
            var validation = validating ? TimeSpan.Zero : _lastValidation;
            epochRemaining = (perBatch * Math.Max(0, batches - _batches)) + validation;
            var epochEstimate = _lastEpoch ?? ((perBatch * batches) + _lastValidation);
            runRemaining = epochRemaining + (epochEstimate * Math.Max(0, context.Epochs - context.Epoch - 1));
        }

        return new TrainingProgress
        {
            Epoch = context.Epoch,
            Epochs = context.Epochs,
            Batch = _batches,
            Batches = batches,
            Samples = _samples,
            Loss = context.BatchLoss,
            AverageLoss = _samples > 0 ? _lossSum / _samples : double.NaN,
            LearningRate = context.Trainer.LearningRates[0],
            SamplesPerSecond = _samples / Math.Max(elapsed.TotalSeconds, 1e-9),
            EpochElapsed = elapsed,
            EpochRemaining = epochRemaining,
            RunRemaining = runRemaining,
            Validating = validating,
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "epoch {Epoch}/{Epochs}: train loss {TrainLoss:F4} acc {TrainAccuracy:P2}, val loss {ValidationLoss:F4} acc {ValidationAccuracy:P2}, lr {LearningRate:G3}, {Seconds:F1} s")]
    private static partial void LogEpoch(ILogger logger, int epoch, int epochs, double trainLoss, double trainAccuracy, double validationLoss, double validationAccuracy, double learningRate, double seconds);
}
