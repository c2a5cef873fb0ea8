using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>Mirrors an image left to right with probability <see cref="Probability"/>.</summary>
public sealed class RandomHorizontalFlip : IImageTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="probability">Chance of flipping, in [0, 1].</param>
    public RandomHorizontalFlip(double probability = 0.5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(probability, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(probability, 1);
        Probability = probability;
    }

    /// <summary>Chance of flipping.</summary>
    public double Probability { get; }

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(RandomHorizontalFlip));
        return random.NextDouble() < Probability ? image.flip(2) : image.clone();
    }
}
