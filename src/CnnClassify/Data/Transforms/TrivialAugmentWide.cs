using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// TrivialAugment Wide (Müller and Hutter, 2021) as torchvision 0.21 defines it: one of 14
/// operations drawn uniformly, at a bin drawn uniformly from a wide scale of
/// <see cref="MagnitudeBins"/> bins, with a random sign where the operation has one. Works on
/// <c>uint8</c> images, before <see cref="ToTensor"/>.
/// </summary>
public sealed class TrivialAugmentWide : IImageTransform
{
    /// <summary>Creates the policy.</summary>
    /// <param name="magnitudeBins">Bins of the magnitude scale.</param>
    /// <param name="interpolation">Resampling of the geometric operations: Nearest (torchvision's default) or Bilinear.</param>
    /// <param name="fill">The value of uncovered pixels, one for all channels or one per channel; <see langword="null"/> for 0.</param>
    public TrivialAugmentWide(int magnitudeBins = 31, Interpolation interpolation = Interpolation.Nearest, IReadOnlyList<double>? fill = null)
    {
        MagnitudeScale.Require(magnitudeBins, 0, nameof(magnitudeBins));
        AugmentationOps.RequireSampling(interpolation, fill);
        (MagnitudeBins, Interpolation, Fill) = (magnitudeBins, interpolation, fill);
    }

    /// <summary>The operations TrivialAugment draws from, in torchvision's order (RandAugment's).</summary>
    public static IReadOnlyList<AugmentationOp> OperationSpace => RandAugment.OperationSpace;

    /// <summary>Bins of the magnitude scale.</summary>
    public int MagnitudeBins { get; }

    /// <summary>Resampling of the geometric operations.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>The value of uncovered pixels; <see langword="null"/> for 0.</summary>
    public IReadOnlyList<double>? Fill { get; }

    /// <summary>Draws the operation and its magnitude for one image, as <see cref="Apply"/> would.</summary>
    /// <param name="random">The source of randomness.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    public AugmentationStep Draw(Random random, long height, long width)
    {
        ArgumentNullException.ThrowIfNull(random);
        var op = OperationSpace[random.Next(OperationSpace.Count)];
        if (!MagnitudeScale.HasMagnitude(op))
        {
            return new AugmentationStep(op, 0);
        }

        var magnitude = MagnitudeScale.Magnitude(MagnitudeScale.Wide, op, random.Next(MagnitudeBins), MagnitudeBins, height, width);
        return new AugmentationStep(op, MagnitudeScale.IsSigned(op) && random.Next(2) == 1 ? -magnitude : magnitude);
    }

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        AugmentationOps.RequireByteImage(image, nameof(TrivialAugmentWide));
        var step = Draw(random, image.shape[1], image.shape[2]);
        return AugmentationOps.Apply(image, step.Op, step.Magnitude, Interpolation, Fill);
    }
}
