using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// MobileNetV2's inverted residual (Sandler et al., 2018): a 1x1 expansion with ReLU6 (skipped
/// when the expansion is 1), a 3x3 depthwise convolution with ReLU6 that carries the stride, and
/// a linear 1x1 projection, each with BatchNorm; the input is added when the stride is 1 and the
/// channel count is unchanged. The layers sit in <c>conv</c> with torchvision's indices.
/// </summary>
public sealed class InvertedResidualBlock : ResidualBranchBlock
{
    [ComponentName(Name = "conv")]
    private readonly Sequential _conv;

    /// <summary>Creates the block.</summary>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="outChannels">Output channels, at least 1.</param>
    /// <param name="stride">Stride of the depthwise convolution: 1 or 2.</param>
    /// <param name="expandRatio">Hidden channels per input channel, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public InvertedResidualBlock(long inChannels, long outChannels, long stride, long expandRatio)
        : base(nameof(InvertedResidualBlock), "conv", stride == 1 && inChannels == outChannels)
    {
        LayerArguments.Positive(inChannels, nameof(inChannels));
        LayerArguments.Positive(outChannels, nameof(outChannels));
        LayerArguments.Positive(expandRatio, nameof(expandRatio));
        if (stride is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, "The stride must be 1 or 2.");
        }

        var hidden = inChannels * expandRatio;
        var layers = new List<nn.Module<Tensor, Tensor>>();
        if (expandRatio != 1)
        {
            layers.Add(ConvNormActivation.Create(inChannels, hidden, kernelSize: 1, activation: Activation.ReLU6));
        }

        layers.Add(ConvNormActivation.Create(hidden, hidden, kernelSize: 3, stride: stride, groups: hidden, activation: Activation.ReLU6));
        layers.Add(nn.Conv2d(hidden, outChannels, 1, bias: false));
        layers.Add(new BatchNorm2d(outChannels));
        _conv = nn.Sequential(layers);
        RegisterComponents();
    }

    /// <inheritdoc />
    private protected override Sequential Branch => _conv;
}
