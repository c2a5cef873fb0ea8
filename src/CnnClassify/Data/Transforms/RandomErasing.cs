using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// With probability <see cref="Probability"/>, sets a random rectangle to <see cref="Value"/>
/// (Zhong et al., 2020), with its area and aspect ratio drawn from ranges as in torchvision.
/// Usually applied after <see cref="Normalize"/>.
/// </summary>
public sealed class RandomErasing : IImageTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="probability">Chance of erasing, in [0, 1].</param>
    /// <param name="scale">Range of the rectangle's area as a share of the image's.</param>
    /// <param name="ratio">Range of the rectangle's aspect ratio (height / width).</param>
    /// <param name="value">The value written into the rectangle.</param>
    public RandomErasing(double probability = 0.5, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null, double value = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(probability, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(probability, 1);
        Probability = probability;
        Scale = scale ?? (0.02, 0.33);
        Ratio = ratio ?? (0.3, 3.3);
        ImageOps.RequireAreaRanges(Scale, Ratio);

        Value = value;
    }

    /// <summary>Chance of erasing.</summary>
    public double Probability { get; }

    /// <summary>Range of the erased area as a share of the image's.</summary>
    public (double Min, double Max) Scale { get; }

    /// <summary>Range of the erased rectangle's height / width.</summary>
    public (double Min, double Max) Ratio { get; }

    /// <summary>The value written.</summary>
    public double Value { get; }

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(RandomErasing));
        var result = image.clone();
        if (random.NextDouble() >= Probability)
        {
            return result;
        }

        var (h, w) = (image.shape[1], image.shape[2]);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            // This transform reads the ratio as height / width, as torchvision does.
            var (eh, ew) = ImageOps.DrawRectangle(random, h * w, Scale, Ratio);
            if (eh < 1 || ew < 1 || eh >= h || ew >= w)
            {
                continue;
            }

            var top = random.NextInt64(h - eh + 1);
            var left = random.NextInt64(w - ew + 1);
            using var rows = result.narrow(1, top, eh);
            using var region = rows.narrow(2, left, ew);
            using var fill = Value.ToScalar();
            region.fill_(fill);
            break;
        }

        return result;
    }
}
