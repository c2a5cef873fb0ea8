namespace CnnClassify.Runtime;

/// <summary>One point of a precision-recall curve.</summary>
/// <param name="Threshold">The lowest score predicted as the label.</param>
/// <param name="Precision">The share of predicted samples that have the label.</param>
/// <param name="Recall">The share of the label's samples predicted.</param>
public sealed record PrecisionRecallPoint(double Threshold, double Precision, double Recall);
