using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// EfficientNetV2's fused inverted bottleneck (Tan and Le, 2021): one full convolution that
/// expands the channels and carries the stride, then a linear 1x1 projection (or, with expansion
/// 1, a single convolution), with BatchNorm and SiLU and no squeeze-and-excitation. With stride 1
/// and unchanged channels the input is added through <see cref="StochasticDepth"/>. Submodules
/// are <c>block</c> (torchvision's indices) and <c>stochastic_depth</c>.
/// </summary>
public sealed class FusedMBConvBlock : ResidualBranchBlock
{
    [ComponentName(Name = "block")]
    private readonly Sequential _block;
    [ComponentName(Name = "stochastic_depth")]
    private readonly StochasticDepth _stochasticDepth;

    /// <summary>Creates the block.</summary>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="outChannels">Output channels, at least 1.</param>
    /// <param name="kernelSize">Kernel of the fused convolution, 3 in EfficientNetV2.</param>
    /// <param name="stride">Stride: 1 or 2.</param>
    /// <param name="expandRatio">Hidden channels per input channel, at least 1.</param>
    /// <param name="stochasticDepth">Probability of dropping the branch per sample while training.</param>
    /// <param name="batchNormEps">BatchNorm's epsilon; EfficientNetV2 uses 1e-3.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public FusedMBConvBlock(long inChannels, long outChannels, long kernelSize, long stride, long expandRatio, double stochasticDepth, double batchNormEps = 1e-3)
        : base(nameof(FusedMBConvBlock), "block", stride == 1 && inChannels == outChannels)
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
            layers.Add(ConvNormActivation.Create(inChannels, expanded, kernelSize, stride, activation: Activation.SiLU, batchNormEps: batchNormEps));
            layers.Add(ConvNormActivation.Create(expanded, outChannels, kernelSize: 1, activation: Activation.None, batchNormEps: batchNormEps));
        }
        else
        {
            layers.Add(ConvNormActivation.Create(inChannels, outChannels, kernelSize, stride, activation: Activation.SiLU, batchNormEps: batchNormEps));
        }

        _block = nn.Sequential(layers);
        _stochasticDepth = new StochasticDepth(stochasticDepth);
        RegisterComponents();
    }

    /// <inheritdoc />
    private protected override Sequential Branch => _block;

    /// <inheritdoc />
    private protected override StochasticDepth? Drop => _stochasticDepth;
}
