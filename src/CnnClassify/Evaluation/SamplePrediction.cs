namespace CnnClassify.Evaluation;

/// <summary>One evaluated sample.</summary>
/// <param name="Index">The sample's index in its dataset.</param>
/// <param name="Target">The true class.</param>
/// <param name="Predicted">The predicted class.</param>
/// <param name="Confidence">The predicted class's probability.</param>
/// <param name="Loss">The sample's cross-entropy loss, <c>-log p(target)</c>.</param>
public sealed record SamplePrediction(int Index, int Target, int Predicted, double Confidence, double Loss);
