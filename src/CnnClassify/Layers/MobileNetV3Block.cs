using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// MobileNetV3's inverted residual (Howard et al., 2019): a 1x1 expansion (skipped when the
/// expanded width equals the input's), a depthwise convolution that carries the stride, an
/// optional squeeze-and-excitation with a hard-sigmoid gate, and a linear 1x1 projection, each
/// with BatchNorm; the activation is ReLU or hard swish. The input is added when the stride is 1
/// and the channel count is unchanged. The layers sit in <c>block</c> with torchvision's indices.
/// </summary>
public sealed class MobileNetV3Block : ResidualBranchBlock
{
    [ComponentName(Name = "block")]
    private readonly Sequential _block;

    /// <summary>Creates the block.</summary>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="kernelSize">Depthwise kernel: 3 or 5.</param>
    /// <param name="expandedChannels">Hidden channels, at least 1.</param>
    /// <param name="outChannels">Output channels, at least 1.</param>
    /// <param name="squeezeExcitation">Whether the block has squeeze-and-excitation (its bottleneck is a quarter of the hidden channels, rounded to a multiple of 8).</param>
    /// <param name="hardSwish">Hard swish as the activation; otherwise ReLU.</param>
    /// <param name="stride">Depthwise stride: 1 or 2.</param>
    /// <param name="batchNormEps">BatchNorm's epsilon; MobileNetV3 uses 1e-3.</param>
    /// <param name="batchNormMomentum">BatchNorm's momentum; MobileNetV3 uses 0.01.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public MobileNetV3Block(long inChannels, long kernelSize, long expandedChannels, long outChannels, bool squeezeExcitation, bool hardSwish, long stride, double batchNormEps = 1e-3, double batchNormMomentum = 0.01)
        : base(nameof(MobileNetV3Block), "block", stride == 1 && inChannels == outChannels)
    {
        LayerArguments.Positive(inChannels, nameof(inChannels));
        LayerArguments.Positive(expandedChannels, nameof(expandedChannels));
        LayerArguments.Positive(outChannels, nameof(outChannels));
        if (stride is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, "The stride must be 1 or 2.");
        }

        var activation = hardSwish ? Activation.Hardswish : Activation.ReLU;
        var layers = new List<nn.Module<Tensor, Tensor>>();
        if (expandedChannels != inChannels)
        {
            layers.Add(ConvNormActivation.Create(inChannels, expandedChannels, kernelSize: 1, activation: activation, batchNormEps: batchNormEps, batchNormMomentum: batchNormMomentum));
        }

        layers.Add(ConvNormActivation.Create(expandedChannels, expandedChannels, kernelSize, stride, groups: expandedChannels, activation: activation, batchNormEps: batchNormEps, batchNormMomentum: batchNormMomentum));
        if (squeezeExcitation)
        {
            layers.Add(new SqueezeExcitation(expandedChannels, ChannelRounding.MakeDivisible(expandedChannels / 4, 8), Activation.ReLU, Activation.Hardsigmoid));
        }

        layers.Add(ConvNormActivation.Create(expandedChannels, outChannels, kernelSize: 1, activation: Activation.None, batchNormEps: batchNormEps, batchNormMomentum: batchNormMomentum));
        _block = nn.Sequential(layers);
        RegisterComponents();
    }

    /// <inheritdoc />
    private protected override Sequential Branch => _block;
}
