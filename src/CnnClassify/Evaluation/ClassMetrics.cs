using CnnClassify.Runtime;

namespace CnnClassify.Evaluation;

/// <summary>Precision, recall, F1 and support of one class.</summary>
/// <param name="Name">The class name.</param>
/// <param name="Precision">True positives over predicted positives; 0 when nothing was predicted as the class.</param>
/// <param name="Recall">True positives over actual positives; 0 when the class has no samples.</param>
/// <param name="F1">Harmonic mean of precision and recall; 0 when both are 0.</param>
/// <param name="Support">Samples whose true class this is.</param>
public sealed record ClassMetrics(string Name, double Precision, double Recall, double F1, long Support);
