using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// EfficientNet's mobile inverted bottleneck (Tan and Le, 2019): a 1x1 expansion (skipped when
/// the expansion is 1), a depthwise convolution, squeeze-and-excitation and a linear 1x1
/// projection, with BatchNorm and SiLU; with stride 1 and unchanged channels, the input is added
/// through <see cref="StochasticDepth"/>. Submodules are <c>block</c> (torchvision's indices) and
/// <c>stochastic_depth</c>.
/// </summary>
public sealed class MBConvBlock : ResidualBranchBlock
{
    [ComponentName(Name = "block")]
    private readonly Sequential _block;
    [ComponentName(Name = "stochastic_depth")]
    private readonly StochasticDepth _stochasticDepth;

    /// <summary>Creates the block.</summary>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="outChannels">Output channels, at least 1.</param>
    /// <param name="kernelSize">Depthwise kernel: 3 or 5 in EfficientNet-B0.</param>
    /// <param name="stride">Depthwise stride: 1 or 2.</param>
    /// <param name="expandRatio">Hidden channels per input channel, at least 1.</param>
    /// <param name="stochasticDepth">Probability of dropping the branch per sample while training.</param>
    /// <param name="batchNormEps">BatchNorm's epsilon: 1e-5 for EfficientNet-B0 to B4, 1e-3 for B5 to B7 and V2.</param>
    /// <param name="batchNormMomentum">BatchNorm's momentum: 0.1, or 0.01 for EfficientNet-B5 to B7.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public MBConvBlock(long inChannels, long outChannels, long kernelSize, long stride, long expandRatio, double stochasticDepth, double batchNormEps = 1e-5, double batchNormMomentum = 0.1)
        : base(nameof(MBConvBlock), "block", stride == 1 && inChannels == outChannels)
    {
        LayerArguments.Positive(inChannels, nameof(inChannels));
        LayerArguments.Positive(outChannels, nameof(outChannels));
        LayerArguments.Positive(expandRatio, nameof(expandRatio));
        if (stride is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, "The stride must be 1 or 2.");
        }

        var expanded = ChannelRounding.MakeDivisible(inChannels * expandRatio, 8);
        var layers = new List<nn.Module<Tensor, Tensor>>();
        if (expanded != inChannels)
        {
            layers.Add(ConvNormActivation.Create(inChannels, expanded, kernelSize: 1, activation: Activation.SiLU, batchNormEps: batchNormEps, batchNormMomentum: batchNormMomentum));
        }

        layers.Add(ConvNormActivation.Create(expanded, expanded, kernelSize, stride, groups: expanded, activation: Activation.SiLU, batchNormEps: batchNormEps, batchNormMomentum: batchNormMomentum));
        layers.Add(new SqueezeExcitation(expanded, Math.Max(1, inChannels / 4), Activation.SiLU));
        layers.Add(ConvNormActivation.Create(expanded, outChannels, kernelSize: 1, activation: Activation.None, batchNormEps: batchNormEps, batchNormMomentum: batchNormMomentum));
        _block = nn.Sequential(layers);
        _stochasticDepth = new StochasticDepth(stochasticDepth);
        RegisterComponents();
    }

    /// <inheritdoc />
    private protected override Sequential Branch => _block;

    /// <inheritdoc />
    private protected override StochasticDepth? Drop => _stochasticDepth;
}
