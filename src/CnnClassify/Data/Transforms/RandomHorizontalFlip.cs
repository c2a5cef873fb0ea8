using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>Mirrors an image left to right with probability <see cref="Probability"/>.</summary>
public sealed class RandomHorizontalFlip : IBatchTransform
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

    /// <inheritdoc />
    public Tensor ApplyBatch(Tensor images, IReadOnlyList<Random> randoms)
    {
        ImageOps.RequireBatch(images, randoms, nameof(RandomHorizontalFlip));
        var chosen = randoms.Select(random => random.NextDouble() < Probability).ToArray();
        using var flipped = images.flip(3);
        return ImageOps.Choose(chosen, flipped, images);
    }
}
