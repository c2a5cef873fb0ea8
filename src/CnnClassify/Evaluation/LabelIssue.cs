namespace CnnClassify.Evaluation;

/// <summary>One sample of a label audit, ranked by how likely its given label is wrong.</summary>
/// <param name="Rank">1 for the most suspect sample.</param>
/// <param name="Index">The sample's index in its dataset.</param>
/// <param name="Given">The class the sample is labelled with.</param>
/// <param name="Suggested">The class the out-of-sample model finds most probable.</param>
/// <param name="SelfConfidence">The model's probability of the given class: confident learning's label-quality score; lower is more suspect.</param>
/// <param name="SuggestedProbability">The model's probability of <paramref name="Suggested"/>.</param>
/// <param name="IsIssue">Whether confident learning counts the sample as mislabelled (pruned by noise rate).</param>
public sealed record LabelIssue(int Rank, int Index, int Given, int Suggested, double SelfConfidence, double SuggestedProbability, bool IsIssue);
