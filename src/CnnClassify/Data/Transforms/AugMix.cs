using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// AugMix (Hendrycks et al., 2020) as torchvision 0.21 defines it: <see cref="MixtureWidth"/> chains
/// of 1 to 3 operations (or <see cref="ChainDepth"/>), each at a bin below <see cref="Severity"/> of a
/// 10-bin scale, mixed with Dirichlet(<see cref="Alpha"/>) weights and then with the original image
/// by a Beta(<see cref="Alpha"/>, <see cref="Alpha"/>) weight. Works on <c>uint8</c> images, before
/// <see cref="ToTensor"/>. (The Jensen-Shannon consistency loss of the paper is not part of it.)
/// </summary>
public sealed class AugMix : IImageTransform
{
    private const int Bins = 10;

    private static readonly AugmentationOp[] BaseSpace =
    [
        AugmentationOp.ShearX, AugmentationOp.ShearY, AugmentationOp.TranslateX, AugmentationOp.TranslateY, AugmentationOp.Rotate,
        AugmentationOp.Posterize, AugmentationOp.Solarize, AugmentationOp.AutoContrast, AugmentationOp.Equalize,
    ];

    private static readonly AugmentationOp[] FullSpace =
        [.. BaseSpace, AugmentationOp.Brightness, AugmentationOp.Color, AugmentationOp.Contrast, AugmentationOp.Sharpness];

    /// <summary>Creates the transform.</summary>
    /// <param name="severity">The operations' strength: bins 0 to severity - 1 of the scale, 1 to 10.</param>
    /// <param name="mixtureWidth">Chains mixed, 1 to 16.</param>
    /// <param name="chainDepth">Operations per chain, 1 to 16; -1 draws 1 to 3 per chain.</param>
    /// <param name="alpha">The Dirichlet and Beta concentration, above 0.</param>
    /// <param name="allOperations">Whether brightness, colour, contrast and sharpness are drawn too.</param>
    /// <param name="interpolation">Resampling of the geometric operations: Bilinear (torchvision's default for AugMix) or Nearest.</param>
    /// <param name="fill">The value of uncovered pixels, one for all channels or one per channel; <see langword="null"/> for 0.</param>
    public AugMix(int severity = 3, int mixtureWidth = 3, int chainDepth = -1, double alpha = 1.0, bool allOperations = true, Interpolation interpolation = Interpolation.Bilinear, IReadOnlyList<double>? fill = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(severity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(severity, Bins);
        ArgumentOutOfRangeException.ThrowIfLessThan(mixtureWidth, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mixtureWidth, 16);
        if (chainDepth is not -1 and (< 1 or > 16))
        {
            throw new ArgumentOutOfRangeException(nameof(chainDepth), chainDepth, "chainDepth must be 1 to 16, or -1 to draw 1 to 3 per chain.");
        }

        if (!(alpha > 0 && alpha <= 1000))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be above 0 (and at most 1000).");
        }

        AugmentationOps.RequireSampling(interpolation, fill);
        (Severity, MixtureWidth, ChainDepth, Alpha, AllOperations, Interpolation, Fill) = (severity, mixtureWidth, chainDepth, alpha, allOperations, interpolation, fill);
    }

    /// <summary>The operations' strength: bins below it are drawn.</summary>
    public int Severity { get; }

    /// <summary>Chains mixed.</summary>
    public int MixtureWidth { get; }

    /// <summary>Operations per chain; -1 when drawn from 1 to 3.</summary>
    public int ChainDepth { get; }

    /// <summary>The Dirichlet and Beta concentration.</summary>
    public double Alpha { get; }

    /// <summary>Whether brightness, colour, contrast and sharpness are drawn too.</summary>
    public bool AllOperations { get; }

    /// <summary>Resampling of the geometric operations.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>The value of uncovered pixels; <see langword="null"/> for 0.</summary>
    public IReadOnlyList<double>? Fill { get; }

    /// <summary>The operations the chains draw from, in torchvision's order.</summary>
    public IReadOnlyList<AugmentationOp> OperationSpace => AllOperations ? FullSpace : BaseSpace;

    /// <summary>Draws the weights and chains for one image of the given size, as <see cref="Apply(Tensor, Random)"/> would.</summary>
    /// <param name="random">The source of randomness.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    public AugMixPlan Draw(Random random, long height, long width)
    {
        ArgumentNullException.ThrowIfNull(random);
        var beta = Dirichlet.Sample(random, Alpha, 2);
        var mixing = Dirichlet.Sample(random, Alpha, MixtureWidth);
        var augmented = (float)beta[1];
        var weights = mixing.Select(w => (float)w * augmented).ToArray();
        var space = OperationSpace;
        var chains = new IReadOnlyList<AugmentationStep>[MixtureWidth];
        for (var i = 0; i < chains.Length; i++)
        {
            var depth = ChainDepth > 0 ? ChainDepth : random.Next(1, 4);
            var chain = new AugmentationStep[depth];
            for (var j = 0; j < depth; j++)
            {
                var op = space[random.Next(space.Count)];
                var magnitude = MagnitudeScale.HasMagnitude(op) ? MagnitudeScale.Magnitude(MagnitudeScale.AugMix, op, random.Next(Severity), Bins, height, width) : 0;
                chain[j] = new AugmentationStep(op, MagnitudeScale.IsSigned(op) && random.Next(2) == 1 ? -magnitude : magnitude);
            }

            chains[i] = chain;
        }

        return new AugMixPlan((float)beta[0], weights, chains);
    }

    /// <summary>Mixes the image as <paramref name="plan"/> says: the original times its weight plus each chain's output times its weight, truncated to <c>uint8</c>.</summary>
    /// <param name="image">[C, H, W], <c>uint8</c>; not changed or disposed.</param>
    /// <param name="plan">Weights and chains, from <see cref="Draw"/>.</param>
    public Tensor Apply(Tensor image, AugMixPlan plan)
    {
        AugmentationOps.RequireByteImage(image, nameof(AugMix));
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.ChainWeights.Count != plan.Chains.Count)
        {
            throw new ArgumentException($"The plan has {plan.ChainWeights.Count} weights for {plan.Chains.Count} chains.", nameof(plan));
        }

        using var scope = torch.NewDisposeScope();
        var mix = image.mul(torch.tensor(plan.OriginalWeight));
        for (var i = 0; i < plan.Chains.Count; i++)
        {
            var chain = AugmentationOps.Apply(image, plan.Chains[i], Interpolation, Fill);
            mix = mix.add(chain.mul(torch.tensor(plan.ChainWeights[i])), HeldScalars.One);
        }

        return mix.to(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        AugmentationOps.RequireByteImage(image, nameof(AugMix));
        return Apply(image, Draw(random, image.shape[1], image.shape[2]));
    }
}
