using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// RandAugment (Cubuk et al., 2020) as torchvision 0.21 defines it: <see cref="Operations"/> times,
/// one of 14 operations drawn uniformly, at bin <see cref="Magnitude"/> of a scale of
/// <see cref="MagnitudeBins"/> bins, with a random sign where the operation has one. timm's
/// <c>rand-m9</c> is <c>new RandAugment(2, 9)</c>. Works on <c>uint8</c> images, before <see cref="ToTensor"/>.
/// </summary>
public sealed class RandAugment : IImageTransform
{
    private static readonly AugmentationOp[] Space =
    [
        AugmentationOp.Identity, AugmentationOp.ShearX, AugmentationOp.ShearY, AugmentationOp.TranslateX, AugmentationOp.TranslateY,
        AugmentationOp.Rotate, AugmentationOp.Brightness, AugmentationOp.Color, AugmentationOp.Contrast, AugmentationOp.Sharpness,
        AugmentationOp.Posterize, AugmentationOp.Solarize, AugmentationOp.AutoContrast, AugmentationOp.Equalize,
    ];

    /// <summary>Creates the policy.</summary>
    /// <param name="operations">Operations applied in turn to each image, 1 to 16.</param>
    /// <param name="magnitude">The bin of the magnitude scale every operation uses.</param>
    /// <param name="magnitudeBins">Bins of the magnitude scale.</param>
    /// <param name="interpolation">Resampling of the geometric operations: Nearest (torchvision's default) or Bilinear.</param>
    /// <param name="fill">The value of uncovered pixels, one for all channels or one per channel; <see langword="null"/> for 0.</param>
    public RandAugment(int operations = 2, int magnitude = 9, int magnitudeBins = 31, Interpolation interpolation = Interpolation.Nearest, IReadOnlyList<double>? fill = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(operations, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(operations, 16);
        MagnitudeScale.Require(magnitudeBins, magnitude, nameof(magnitude));
        AugmentationOps.RequireSampling(interpolation, fill);
        (Operations, Magnitude, MagnitudeBins, Interpolation, Fill) = (operations, magnitude, magnitudeBins, interpolation, fill);
    }

    /// <summary>The operations RandAugment draws from, in torchvision's order.</summary>
    public static IReadOnlyList<AugmentationOp> OperationSpace => Space;

    /// <summary>Operations applied to each image.</summary>
    public int Operations { get; }

    /// <summary>The bin of the magnitude scale.</summary>
    public int Magnitude { get; }

    /// <summary>Bins of the magnitude scale.</summary>
    public int MagnitudeBins { get; }

    /// <summary>Resampling of the geometric operations.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>The value of uncovered pixels; <see langword="null"/> for 0.</summary>
    public IReadOnlyList<double>? Fill { get; }

    /// <summary>Draws the operations for one image of the given size, as <see cref="Apply"/> would.</summary>
    /// <param name="random">The source of randomness.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    public IReadOnlyList<AugmentationStep> Draw(Random random, long height, long width)
    {
        ArgumentNullException.ThrowIfNull(random);
        var steps = new AugmentationStep[Operations];
        for (var i = 0; i < steps.Length; i++)
        {
            var op = Space[random.Next(Space.Length)];
            var magnitude = MagnitudeScale.Magnitude(MagnitudeScale.Standard, op, Magnitude, MagnitudeBins, height, width);
            steps[i] = new AugmentationStep(op, MagnitudeScale.IsSigned(op) && random.Next(2) == 1 ? -magnitude : magnitude);
        }

        return steps;
    }

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        AugmentationOps.RequireByteImage(image, nameof(RandAugment));
        return AugmentationOps.Apply(image, Draw(random, image.shape[1], image.shape[2]), Interpolation, Fill);
    }
}
