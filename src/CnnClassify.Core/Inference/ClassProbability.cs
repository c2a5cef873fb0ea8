namespace CnnClassify.Inference;

/// <summary>A class and its probability.</summary>
/// <param name="Name">The class name.</param>
/// <param name="Index">The class index.</param>
/// <param name="Probability">Its probability, in [0, 1].</param>
public sealed record ClassProbability(string Name, int Index, double Probability);
