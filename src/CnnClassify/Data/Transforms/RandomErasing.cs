using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// With probability <see cref="Probability"/>, sets a random rectangle to <see cref="Value"/>
/// (Zhong et al., 2020), with its area and aspect ratio drawn from ranges as in torchvision.
/// Usually applied after <see cref="Normalize"/>.
/// </summary>
public sealed class RandomErasing : IBatchTransform
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
        if (Draw(image.shape[1], image.shape[2], random) is { } area)
        {
            using var rows = result.narrow(1, area.Top, area.Height);
            using var region = rows.narrow(2, area.Left, area.Width);
            using var fill = Value.ToScalar();
            region.fill_(fill);
        }

        return result;
    }

    /// <inheritdoc />
    public Tensor ApplyBatch(Tensor images, IReadOnlyList<Random> randoms)
    {
        ImageOps.RequireBatch(images, randoms, nameof(RandomErasing));
        var (n, h, w) = (images.shape[0], images.shape[2], images.shape[3]);
        var areas = randoms.Select(random => Draw(h, w, random) ?? default).ToList();
        using var scope = torch.NewDisposeScope();
        var y = ImageOps.Positions(h).view(1, 1, h, 1);
        var x = ImageOps.Positions(w).view(1, 1, 1, w);
        var top = torch.tensor(areas.Select(a => a.Top).ToArray()).view(n, 1, 1, 1);
        var bottom = torch.tensor(areas.Select(a => a.Top + a.Height).ToArray()).view(n, 1, 1, 1);
        var left = torch.tensor(areas.Select(a => a.Left).ToArray()).view(n, 1, 1, 1);
        var right = torch.tensor(areas.Select(a => a.Left + a.Width).ToArray()).view(n, 1, 1, 1);
        var inside = y.ge(top).logical_and(y.lt(bottom)).logical_and(x.ge(left)).logical_and(x.lt(right));
        using var fill = Value.ToScalar();
        return images.masked_fill(inside, fill).MoveToOuterDisposeScope();
    }

    /// <summary>The rectangle to erase, drawn as torchvision draws it (ratio read as height / width), or <see langword="null"/> for none.</summary>
    private (long Top, long Left, long Height, long Width)? Draw(long h, long w, Random random)
    {
        if (random.NextDouble() >= Probability)
        {
            return null;
        }

        for (var attempt = 0; attempt < 10; attempt++)
        {
            var (eh, ew) = ImageOps.DrawRectangle(random, h * w, Scale, Ratio);
            if (eh < 1 || ew < 1 || eh >= h || ew >= w)
            {
                continue;
            }

            var top = random.NextInt64(h - eh + 1);
            var left = random.NextInt64(w - ew + 1);
            return (top, left, eh, ew);
        }

        return null;
    }
}
