namespace CnnClassify.Training;

/// <summary>Properties of <see cref="Metric"/> values.</summary>
public static class MetricExtensions
{
    /// <summary>Whether larger is better: accuracies are maximised, losses minimised.</summary>
    /// <param name="metric">The metric.</param>
    public static bool IsMaximised(this Metric metric) => metric is Metric.TrainAccuracy or Metric.ValidationAccuracy or Metric.ValidationTop5Accuracy or Metric.ValidationMeanAveragePrecision
        or Metric.ValidationMicroF1 or Metric.ValidationMacroF1 or Metric.ValidationSamplesF1;

    /// <summary>Whether the metric needs validation data.</summary>
    /// <param name="metric">The metric.</param>
    public static bool NeedsValidation(this Metric metric) => metric is not (Metric.TrainLoss or Metric.TrainAccuracy);
}
