using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// AutoAugment (Cubuk et al., 2019) with a learned policy, as torchvision 0.21 defines it: one of
/// the policy's 25 sub-policies drawn uniformly, each of its two operations applied with its own
/// probability at its own bin of a 10-bin scale, with a random sign where the operation has one.
/// Works on <c>uint8</c> images, before <see cref="ToTensor"/>.
/// </summary>
public sealed class AutoAugment : IImageTransform
{
    private const int Bins = 10;

    /// <summary>Creates the policy.</summary>
    /// <param name="policy">Which learned policy.</param>
    /// <param name="interpolation">Resampling of the geometric operations: Nearest (torchvision's default) or Bilinear.</param>
    /// <param name="fill">The value of uncovered pixels, one for all channels or one per channel; <see langword="null"/> for 0.</param>
    public AutoAugment(AutoAugmentPolicy policy = AutoAugmentPolicy.ImageNet, Interpolation interpolation = Interpolation.Nearest, IReadOnlyList<double>? fill = null)
    {
        AugmentationOps.RequireSampling(interpolation, fill);
        SubPolicies = policy switch
        {
            AutoAugmentPolicy.ImageNet => ImageNetTable,
            AutoAugmentPolicy.Cifar10 => Cifar10Table,
            AutoAugmentPolicy.Svhn => SvhnTable,
            _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "Unknown AutoAugment policy."),
        };
        (Policy, Interpolation, Fill) = (policy, interpolation, fill);
    }

    /// <summary>The learned policy.</summary>
    public AutoAugmentPolicy Policy { get; }

    /// <summary>The policy's sub-policies: two operations each, with the probability of applying each and its magnitude bin (-1 for none).</summary>
    public IReadOnlyList<IReadOnlyList<SubPolicyStep>> SubPolicies { get; }

    /// <summary>Resampling of the geometric operations.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>The value of uncovered pixels; <see langword="null"/> for 0.</summary>
    public IReadOnlyList<double>? Fill { get; }

    /// <summary>Draws the operations applied to one image of the given size (none, one or two), as <see cref="Apply"/> would.</summary>
    /// <param name="random">The source of randomness.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    public IReadOnlyList<AugmentationStep> Draw(Random random, long height, long width)
    {
        ArgumentNullException.ThrowIfNull(random);
        var chosen = SubPolicies[random.Next(SubPolicies.Count)];
        var draws = chosen.Select(_ => (Chance: random.NextDouble(), Negative: random.Next(2) == 0)).ToArray();
        var steps = new List<AugmentationStep>(chosen.Count);
        for (var i = 0; i < chosen.Count; i++)
        {
            var (op, probability, bin) = chosen[i];
            if (draws[i].Chance > probability)
            {
                continue;
            }

            var magnitude = bin < 0 ? 0 : MagnitudeScale.Magnitude(MagnitudeScale.Standard, op, bin, Bins, height, width);
            steps.Add(new AugmentationStep(op, MagnitudeScale.IsSigned(op) && draws[i].Negative ? -magnitude : magnitude));
        }

        return steps;
    }

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        AugmentationOps.RequireByteImage(image, nameof(AutoAugment));
        return AugmentationOps.Apply(image, Draw(random, image.shape[1], image.shape[2]), Interpolation, Fill);
    }

    /// <summary>One operation of a sub-policy.</summary>
    /// <param name="Op">The operation.</param>
    /// <param name="Probability">The chance it is applied.</param>
    /// <param name="Bin">Its bin of the 10-bin magnitude scale; -1 for an operation without a magnitude.</param>
    public readonly record struct SubPolicyStep(AugmentationOp Op, double Probability, int Bin);

    private static readonly SubPolicyStep[][] ImageNetTable =
    [
        [new(AugmentationOp.Posterize, 0.4, 8), new(AugmentationOp.Rotate, 0.6, 9)],
        [new(AugmentationOp.Solarize, 0.6, 5), new(AugmentationOp.AutoContrast, 0.6, -1)],
        [new(AugmentationOp.Equalize, 0.8, -1), new(AugmentationOp.Equalize, 0.6, -1)],
        [new(AugmentationOp.Posterize, 0.6, 7), new(AugmentationOp.Posterize, 0.6, 6)],
        [new(AugmentationOp.Equalize, 0.4, -1), new(AugmentationOp.Solarize, 0.2, 4)],
        [new(AugmentationOp.Equalize, 0.4, -1), new(AugmentationOp.Rotate, 0.8, 8)],
        [new(AugmentationOp.Solarize, 0.6, 3), new(AugmentationOp.Equalize, 0.6, -1)],
        [new(AugmentationOp.Posterize, 0.8, 5), new(AugmentationOp.Equalize, 1.0, -1)],
        [new(AugmentationOp.Rotate, 0.2, 3), new(AugmentationOp.Solarize, 0.6, 8)],
        [new(AugmentationOp.Equalize, 0.6, -1), new(AugmentationOp.Posterize, 0.4, 6)],
        [new(AugmentationOp.Rotate, 0.8, 8), new(AugmentationOp.Color, 0.4, 0)],
        [new(AugmentationOp.Rotate, 0.4, 9), new(AugmentationOp.Equalize, 0.6, -1)],
        [new(AugmentationOp.Equalize, 0.0, -1), new(AugmentationOp.Equalize, 0.8, -1)],
        [new(AugmentationOp.Invert, 0.6, -1), new(AugmentationOp.Equalize, 1.0, -1)],
        [new(AugmentationOp.Color, 0.6, 4), new(AugmentationOp.Contrast, 1.0, 8)],
        [new(AugmentationOp.Rotate, 0.8, 8), new(AugmentationOp.Color, 1.0, 2)],
        [new(AugmentationOp.Color, 0.8, 8), new(AugmentationOp.Solarize, 0.8, 7)],
        [new(AugmentationOp.Sharpness, 0.4, 7), new(AugmentationOp.Invert, 0.6, -1)],
        [new(AugmentationOp.ShearX, 0.6, 5), new(AugmentationOp.Equalize, 1.0, -1)],
        [new(AugmentationOp.Color, 0.4, 0), new(AugmentationOp.Equalize, 0.6, -1)],
        [new(AugmentationOp.Equalize, 0.4, -1), new(AugmentationOp.Solarize, 0.2, 4)],
        [new(AugmentationOp.Solarize, 0.6, 5), new(AugmentationOp.AutoContrast, 0.6, -1)],
        [new(AugmentationOp.Invert, 0.6, -1), new(AugmentationOp.Equalize, 1.0, -1)],
        [new(AugmentationOp.Color, 0.6, 4), new(AugmentationOp.Contrast, 1.0, 8)],
        [new(AugmentationOp.Equalize, 0.8, -1), new(AugmentationOp.Equalize, 0.6, -1)],
    ];

    private static readonly SubPolicyStep[][] Cifar10Table =
    [
        [new(AugmentationOp.Invert, 0.1, -1), new(AugmentationOp.Contrast, 0.2, 6)],
        [new(AugmentationOp.Rotate, 0.7, 2), new(AugmentationOp.TranslateX, 0.3, 9)],
        [new(AugmentationOp.Sharpness, 0.8, 1), new(AugmentationOp.Sharpness, 0.9, 3)],
        [new(AugmentationOp.ShearY, 0.5, 8), new(AugmentationOp.TranslateY, 0.7, 9)],
        [new(AugmentationOp.AutoContrast, 0.5, -1), new(AugmentationOp.Equalize, 0.9, -1)],
        [new(AugmentationOp.ShearY, 0.2, 7), new(AugmentationOp.Posterize, 0.3, 7)],
        [new(AugmentationOp.Color, 0.4, 3), new(AugmentationOp.Brightness, 0.6, 7)],
        [new(AugmentationOp.Sharpness, 0.3, 9), new(AugmentationOp.Brightness, 0.7, 9)],
        [new(AugmentationOp.Equalize, 0.6, -1), new(AugmentationOp.Equalize, 0.5, -1)],
        [new(AugmentationOp.Contrast, 0.6, 7), new(AugmentationOp.Sharpness, 0.6, 5)],
        [new(AugmentationOp.Color, 0.7, 7), new(AugmentationOp.TranslateX, 0.5, 8)],
        [new(AugmentationOp.Equalize, 0.3, -1), new(AugmentationOp.AutoContrast, 0.4, -1)],
        [new(AugmentationOp.TranslateY, 0.4, 3), new(AugmentationOp.Sharpness, 0.2, 6)],
        [new(AugmentationOp.Brightness, 0.9, 6), new(AugmentationOp.Color, 0.2, 8)],
        [new(AugmentationOp.Solarize, 0.5, 2), new(AugmentationOp.Invert, 0.0, -1)],
        [new(AugmentationOp.Equalize, 0.2, -1), new(AugmentationOp.AutoContrast, 0.6, -1)],
        [new(AugmentationOp.Equalize, 0.2, -1), new(AugmentationOp.Equalize, 0.6, -1)],
        [new(AugmentationOp.Color, 0.9, 9), new(AugmentationOp.Equalize, 0.6, -1)],
        [new(AugmentationOp.AutoContrast, 0.8, -1), new(AugmentationOp.Solarize, 0.2, 8)],
        [new(AugmentationOp.Brightness, 0.1, 3), new(AugmentationOp.Color, 0.7, 0)],
        [new(AugmentationOp.Solarize, 0.4, 5), new(AugmentationOp.AutoContrast, 0.9, -1)],
        [new(AugmentationOp.TranslateY, 0.9, 9), new(AugmentationOp.TranslateY, 0.7, 9)],
        [new(AugmentationOp.AutoContrast, 0.9, -1), new(AugmentationOp.Solarize, 0.8, 3)],
        [new(AugmentationOp.Equalize, 0.8, -1), new(AugmentationOp.Invert, 0.1, -1)],
        [new(AugmentationOp.TranslateY, 0.7, 9), new(AugmentationOp.AutoContrast, 0.9, -1)],
    ];

    private static readonly SubPolicyStep[][] SvhnTable =
    [
        [new(AugmentationOp.ShearX, 0.9, 4), new(AugmentationOp.Invert, 0.2, -1)],
        [new(AugmentationOp.ShearY, 0.9, 8), new(AugmentationOp.Invert, 0.7, -1)],
        [new(AugmentationOp.Equalize, 0.6, -1), new(AugmentationOp.Solarize, 0.6, 6)],
        [new(AugmentationOp.Invert, 0.9, -1), new(AugmentationOp.Equalize, 0.6, -1)],
        [new(AugmentationOp.Equalize, 0.6, -1), new(AugmentationOp.Rotate, 0.9, 3)],
        [new(AugmentationOp.ShearX, 0.9, 4), new(AugmentationOp.AutoContrast, 0.8, -1)],
        [new(AugmentationOp.ShearY, 0.9, 8), new(AugmentationOp.Invert, 0.4, -1)],
        [new(AugmentationOp.ShearY, 0.9, 5), new(AugmentationOp.Solarize, 0.2, 6)],
        [new(AugmentationOp.Invert, 0.9, -1), new(AugmentationOp.AutoContrast, 0.8, -1)],
        [new(AugmentationOp.Equalize, 0.6, -1), new(AugmentationOp.Rotate, 0.9, 3)],
        [new(AugmentationOp.ShearX, 0.9, 4), new(AugmentationOp.Solarize, 0.3, 3)],
        [new(AugmentationOp.ShearY, 0.8, 8), new(AugmentationOp.Invert, 0.7, -1)],
        [new(AugmentationOp.Equalize, 0.9, -1), new(AugmentationOp.TranslateY, 0.6, 6)],
        [new(AugmentationOp.Invert, 0.9, -1), new(AugmentationOp.Equalize, 0.6, -1)],
        [new(AugmentationOp.Contrast, 0.3, 3), new(AugmentationOp.Rotate, 0.8, 4)],
        [new(AugmentationOp.Invert, 0.8, -1), new(AugmentationOp.TranslateY, 0.0, 2)],
        [new(AugmentationOp.ShearY, 0.7, 6), new(AugmentationOp.Solarize, 0.4, 8)],
        [new(AugmentationOp.Invert, 0.6, -1), new(AugmentationOp.Rotate, 0.8, 4)],
        [new(AugmentationOp.ShearY, 0.3, 7), new(AugmentationOp.TranslateX, 0.9, 3)],
        [new(AugmentationOp.ShearX, 0.1, 6), new(AugmentationOp.Invert, 0.6, -1)],
        [new(AugmentationOp.Solarize, 0.7, 2), new(AugmentationOp.TranslateY, 0.6, 7)],
        [new(AugmentationOp.ShearY, 0.8, 4), new(AugmentationOp.Invert, 0.8, -1)],
        [new(AugmentationOp.ShearX, 0.7, 9), new(AugmentationOp.TranslateY, 0.8, 3)],
        [new(AugmentationOp.ShearY, 0.8, 5), new(AugmentationOp.AutoContrast, 0.7, -1)],
        [new(AugmentationOp.ShearX, 0.7, 2), new(AugmentationOp.Invert, 0.1, -1)],
    ];
}
