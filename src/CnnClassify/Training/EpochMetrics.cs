using System.Text.Json.Serialization;

namespace CnnClassify.Training;

/// <summary>What one epoch measured. Validation values are <see langword="null"/> without validation data.</summary>
public sealed record EpochMetrics
{
    /// <summary>Zero-based epoch.</summary>
    public int Epoch { get; init; }

    /// <summary>Mean training loss over the epoch's samples.</summary>
    public double TrainLoss { get; init; }

    /// <summary>Training top-1 accuracy, in [0, 1] (against the dominant label when batches are mixed).</summary>
    public double TrainAccuracy { get; init; }

    /// <summary>Training top-5 accuracy, in [0, 1].</summary>
    public double TrainTop5Accuracy { get; init; }

    /// <summary>Mean validation loss.</summary>
    public double? ValidationLoss { get; init; }

    /// <summary>Validation top-1 accuracy.</summary>
    public double? ValidationAccuracy { get; init; }

    /// <summary>Validation top-5 accuracy.</summary>
    public double? ValidationTop5Accuracy { get; init; }

    /// <summary>Validation mean average precision (mAP) of a multi-label model; <see langword="null"/> for other tasks.</summary>
    public double? ValidationMeanAveragePrecision { get; init; }

    /// <summary>
    /// The task's further validation metrics by name (<see cref="Runtime.TaskMetrics.Values"/>: a
    /// multi-label model's F1 averages and Hamming loss); <see langword="null"/> without validation or for tasks without.
    /// </summary>
    public IReadOnlyDictionary<string, double>? ValidationValues { get; init; }

    /// <summary>Learning rate of the first parameter group at the epoch's last step.</summary>
    public double LearningRate { get; init; }

    /// <summary>Wall-clock seconds the epoch took, validation included.</summary>
    public double Seconds { get; init; }

    /// <summary>Training samples per second.</summary>
    public double SamplesPerSecond { get; init; }

    /// <summary>The value of <paramref name="metric"/>.</summary>
    /// <param name="metric">The metric.</param>
    /// <exception cref="InvalidOperationException">A validation metric was asked for but there was no validation data.</exception>
    public double Value(Metric metric) => metric switch
    {
        Metric.TrainLoss => TrainLoss,
        Metric.TrainAccuracy => TrainAccuracy,
        Metric.ValidationLoss => ValidationLoss ?? throw NoValidation(metric),
        Metric.ValidationAccuracy => ValidationAccuracy ?? throw NoValidation(metric),
        Metric.ValidationMeanAveragePrecision => ValidationMeanAveragePrecision ?? throw new InvalidOperationException(ValidationLoss is null
            ? NoValidation(metric).Message
            : $"{metric} is monitored but the model's task has no mean average precision; it is a multi-label metric."),
        Metric.ValidationMicroF1 => Named(metric, Runtime.TaskMetrics.MicroF1),
        Metric.ValidationMacroF1 => Named(metric, Runtime.TaskMetrics.MacroF1),
        Metric.ValidationSamplesF1 => Named(metric, Runtime.TaskMetrics.SamplesF1),
        Metric.ValidationHammingLoss => Named(metric, Runtime.TaskMetrics.HammingLoss),
        _ => ValidationTop5Accuracy ?? throw NoValidation(metric),
    };

    private double Named(Metric metric, string name) =>
        ValidationValues is { } values && values.TryGetValue(name, out var value) ? value
        : throw new InvalidOperationException(ValidationLoss is null ? NoValidation(metric).Message : $"{metric} is monitored but the model's task does not report it; it is a multi-label metric.");

    private static InvalidOperationException NoValidation(Metric metric) =>
        new($"{metric} is monitored but Fit was given no validation data.");
}
