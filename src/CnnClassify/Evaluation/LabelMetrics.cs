namespace CnnClassify.Evaluation;

/// <summary>One label's metrics in a <see cref="MultiLabelReport"/>.</summary>
/// <param name="Name">The label.</param>
/// <param name="Precision">Precision at the model's threshold; 0 when nothing was predicted (scikit-learn's <c>zero_division=0</c>).</param>
/// <param name="Recall">Recall at the threshold; 0 without positives.</param>
/// <param name="F1">F1 at the threshold, <c>2 TP / (2 TP + FP + FN)</c>; 0 when that is 0 / 0.</param>
/// <param name="Support">Samples that have the label.</param>
/// <param name="AveragePrecision">Average precision over all thresholds (<c>average_precision_score</c>).</param>
/// <param name="RocAuc">Area under the ROC curve; NaN when the samples hold only one class for the label.</param>
/// <param name="Matrix">The label's confusion matrix, as <c>multilabel_confusion_matrix</c> lays it out.</param>
public sealed record LabelMetrics(string Name, double Precision, double Recall, double F1, long Support, double AveragePrecision, double RocAuc, BinaryConfusion Matrix);

/// <summary>One label's decisions counted against the truth.</summary>
/// <param name="TrueNegatives">Samples without the label, not predicted.</param>
/// <param name="FalsePositives">Samples without the label, predicted.</param>
/// <param name="FalseNegatives">Samples with the label, not predicted.</param>
/// <param name="TruePositives">Samples with the label, predicted.</param>
public sealed record BinaryConfusion(long TrueNegatives, long FalsePositives, long FalseNegatives, long TruePositives);

/// <summary>Precision, recall and F1 averaged over labels or samples.</summary>
/// <param name="Precision">Averaged precision.</param>
/// <param name="Recall">Averaged recall.</param>
/// <param name="F1">Averaged F1.</param>
public sealed record AveragedMetrics(double Precision, double Recall, double F1);
