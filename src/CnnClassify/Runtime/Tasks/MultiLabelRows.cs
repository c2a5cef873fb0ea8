namespace CnnClassify.Runtime;

/// <summary>A multi-label model's scores on some samples with their true labels.</summary>
/// <param name="Scores">Each sample's probability per class.</param>
/// <param name="Targets">Whether each sample has each class.</param>
public sealed record MultiLabelRows(IReadOnlyList<float[]> Scores, IReadOnlyList<bool[]> Targets);
