using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// MNASNet's inverted residual (Tan et al., 2019): a 1x1 expansion, a depthwise 3x3 or 5x5
/// convolution that carries the stride, and a linear 1x1 projection, each with BatchNorm, ReLU
/// after the first two; the input is added when the stride is 1 and the channel count unchanged.
/// The layers sit in <c>layers</c> with torchvision's indices (0 to 7).
/// </summary>
public sealed class MnasNetBlock : ResidualBranchBlock
{
    [ComponentName(Name = "layers")]
    private readonly Sequential _layers;

    /// <summary>Creates the block.</summary>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="outChannels">Output channels, at least 1.</param>
    /// <param name="kernelSize">Depthwise kernel: 3 or 5.</param>
    /// <param name="stride">Depthwise stride: 1 or 2.</param>
    /// <param name="expansion">Hidden channels per input channel, at least 1.</param>
    /// <param name="batchNormMomentum">BatchNorm's momentum; MNASNet uses 0.0003.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public MnasNetBlock(long inChannels, long outChannels, long kernelSize, long stride, long expansion, double batchNormMomentum = 0.1)
        : base(nameof(MnasNetBlock), "layers", stride == 1 && inChannels == outChannels)
    {
        LayerArguments.Positive(inChannels, nameof(inChannels));
        LayerArguments.Positive(outChannels, nameof(outChannels));
        LayerArguments.Positive(expansion, nameof(expansion));
        if (stride is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, "The stride must be 1 or 2.");
        }

        if (kernelSize is not (3 or 5))
        {
            throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "The kernel must be 3 or 5.");
        }

        var hidden = inChannels * expansion;
        _layers = nn.Sequential(
            nn.Conv2d(inChannels, hidden, 1, bias: false),
            new BatchNorm2d(hidden, momentum: batchNormMomentum),
            nn.ReLU(),
            nn.Conv2d(hidden, hidden, kernelSize, stride: stride, padding: kernelSize / 2, groups: hidden, bias: false),
            new BatchNorm2d(hidden, momentum: batchNormMomentum),
            nn.ReLU(),
            nn.Conv2d(hidden, outChannels, 1, bias: false),
            new BatchNorm2d(outChannels, momentum: batchNormMomentum));
        RegisterComponents();
    }

    /// <inheritdoc />
    private protected override Sequential Branch => _layers;
}
