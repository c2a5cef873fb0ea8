using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>Mirrors an image along one axis with probability <see cref="Probability"/>: the logic of <see cref="RandomHorizontalFlip"/> and <see cref="RandomVerticalFlip"/>.</summary>
public abstract class RandomFlip : IBatchTransform
{
    private readonly long _imageAxis;

    /// <summary>Creates the transform.</summary>
    /// <param name="probability">Chance of flipping, in [0, 1].</param>
    /// <param name="imageAxis">The axis of an image [C, H, W] that is reversed: 1 for rows (top to bottom), 2 for columns (left to right).</param>
    private protected RandomFlip(double probability, long imageAxis)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(probability, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(probability, 1);
        Probability = probability;
        _imageAxis = imageAxis;
    }

    /// <summary>Chance of flipping.</summary>
    public double Probability { get; }

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, GetType().Name);
        return random.NextDouble() < Probability ? image.flip(_imageAxis) : image.clone();
    }

    /// <inheritdoc />
    public Tensor ApplyBatch(Tensor images, IReadOnlyList<Random> randoms)
    {
        ImageOps.RequireBatch(images, randoms, GetType().Name);
        var chosen = randoms.Select(random => random.NextDouble() < Probability).ToArray();
        using var flipped = images.flip(_imageAxis + 1);
        return ImageOps.Choose(chosen, flipped, images);
    }
}
