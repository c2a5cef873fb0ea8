namespace CnnClassify.Data.Transforms;

/// <summary>Mirrors an image top to bottom with probability <see cref="RandomFlip.Probability"/>.</summary>
/// <param name="probability">Chance of flipping, in [0, 1].</param>
public sealed class RandomVerticalFlip(double probability = 0.5) : RandomFlip(probability, imageAxis: 1);
