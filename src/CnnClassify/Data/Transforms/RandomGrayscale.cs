using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// With probability <see cref="Probability"/>, replaces an RGB image by its luminance
/// (0.299 R + 0.587 G + 0.114 B) in all three channels, keeping the channel count.
/// </summary>
public sealed class RandomGrayscale : IImageTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="probability">Chance of converting, in [0, 1].</param>
    public RandomGrayscale(double probability = 0.1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(probability, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(probability, 1);
        Probability = probability;
    }

    /// <summary>Chance of converting.</summary>
    public double Probability { get; }

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(RandomGrayscale));
        if (random.NextDouble() >= Probability || image.shape[0] == 1)
        {
            return image.clone();
        }

        using var gray = ImageOps.Grayscale(image);
        return gray.expand(image.shape).contiguous();
    }
}
