namespace CnnClassify.Data.Transforms;

/// <summary>Mirrors an image left to right with probability <see cref="RandomFlip.Probability"/>.</summary>
/// <param name="probability">Chance of flipping, in [0, 1].</param>
public sealed class RandomHorizontalFlip(double probability = 0.5) : RandomFlip(probability, imageAxis: 2);
