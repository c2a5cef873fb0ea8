using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>Mirrors an image top to bottom with probability <see cref="Probability"/>.</summary>
public sealed class RandomVerticalFlip : IBatchTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="probability">Chance of flipping, in [0, 1].</param>
    public RandomVerticalFlip(double probability = 0.5)
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
        ImageOps.RequireImage(image, nameof(RandomVerticalFlip));
        return random.NextDouble() < Probability ? image.flip(1) : image.clone();
    }

    /// <inheritdoc />
    public Tensor ApplyBatch(Tensor images, IReadOnlyList<Random> randoms)
    {
        ImageOps.RequireBatch(images, randoms, nameof(RandomVerticalFlip));
        var chosen = randoms.Select(random => random.NextDouble() < Probability).ToArray();
        using var flipped = images.flip(2);
        return ImageOps.Choose(chosen, flipped, images);
    }
}
