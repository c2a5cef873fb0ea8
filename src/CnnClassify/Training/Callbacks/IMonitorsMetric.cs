namespace CnnClassify.Training;

/// <summary>A callback that watches a metric, so the trainer can check that the metric will exist.</summary>
public interface IMonitorsMetric
{
    /// <summary>The metric watched.</summary>
    Metric Monitor { get; }
}
