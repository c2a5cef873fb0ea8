namespace CnnClassify.Training;

/// <summary>Loss and accuracy of a model on a dataset.</summary>
/// <param name="Loss">Mean loss per sample.</param>
/// <param name="Accuracy">Top-1 accuracy, in [0, 1] (subset accuracy, every label right, for a multi-label model).</param>
/// <param name="Top5Accuracy">Top-5 accuracy, in [0, 1] (top-k with k the class count when there are fewer than 5).</param>
/// <param name="Samples">Samples evaluated.</param>
public sealed record EvaluationResult(double Loss, double Accuracy, double Top5Accuracy, long Samples)
{
    /// <summary>The task's metrics behind these values, such as the mean average precision of a multi-label model.</summary>
    public Runtime.TaskMetrics? Metrics { get; init; }
}
