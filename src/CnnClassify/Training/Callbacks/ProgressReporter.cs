using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CnnClassify.Training;

/// <summary>
/// Reports progress through <see cref="IProgress{T}"/> after every batch and epoch, and logs a
/// summary line per epoch through an <see cref="ILogger"/>.
/// </summary>
public sealed partial class ProgressReporter : TrainerCallback
{
    private readonly IProgress<TrainingProgress>? _progress;
    private readonly ILogger _logger;
    private int _batches;

    /// <summary>Creates the reporter.</summary>
    /// <param name="progress">Receives a report per batch and per epoch; may be <see langword="null"/>.</param>
    /// <param name="logger">Receives one information line per epoch; may be <see langword="null"/>.</param>
    public ProgressReporter(IProgress<TrainingProgress>? progress = null, ILogger? logger = null)
    {
        _progress = progress;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public override void OnEpochBegin(TrainingContext context) => _batches = 0;

    /// <inheritdoc />
    public override void OnBatchEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _batches++;
        _progress?.Report(new TrainingProgress(context.Epoch, context.Epochs, _batches, -1, context.BatchLoss, context.Trainer.LearningRates[0], null));
    }

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = context.EpochMetrics!;
        _progress?.Report(new TrainingProgress(context.Epoch, context.Epochs, _batches, _batches, m.TrainLoss, m.LearningRate, m));
        LogEpoch(_logger, m.Epoch + 1, context.Epochs, m.TrainLoss, m.TrainAccuracy, m.ValidationLoss ?? double.NaN, m.ValidationAccuracy ?? double.NaN, m.LearningRate, m.Seconds);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "epoch {Epoch}/{Epochs}: train loss {TrainLoss:F4} acc {TrainAccuracy:P2}, val loss {ValidationLoss:F4} acc {ValidationAccuracy:P2}, lr {LearningRate:G3}, {Seconds:F1} s")]
    private static partial void LogEpoch(ILogger logger, int epoch, int epochs, double trainLoss, double trainAccuracy, double validationLoss, double validationAccuracy, double learningRate, double seconds);
}
