namespace CnnClassify.Training;

/// <summary>Loss and accuracy of a model on a dataset.</summary>
/// <param name="Loss">Mean loss per sample.</param>
/// <param name="Accuracy">Top-1 accuracy, in [0, 1].</param>
/// <param name="Top5Accuracy">Top-5 accuracy, in [0, 1] (top-k with k the class count when there are fewer than 5).</param>
/// <param name="Samples">Samples evaluated.</param>
public sealed record EvaluationResult(double Loss, double Accuracy, double Top5Accuracy, long Samples);
