using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// Creates torchvision's <c>Conv2dNormActivation</c>: a <see cref="Sequential"/> of a convolution
/// (<c>0</c>), a BatchNorm (<c>1</c>) and an optional activation (<c>2</c>), the unit that
/// MobileNetV2 and EfficientNet are made of. Its keys are <c>0.weight</c>, <c>1.running_mean</c>, ...
/// </summary>
/// <remarks><see cref="ConvBlock"/> is the same computation with named submodules (<c>conv</c>, <c>bn</c>).</remarks>
public static class ConvNormActivation
{
    /// <summary>Creates the sequence.</summary>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="outChannels">Output channels, at least 1.</param>
    /// <param name="kernelSize">Square kernel, at least 1; padding is <c>(kernelSize - 1) / 2</c>.</param>
    /// <param name="stride">Stride, at least 1.</param>
    /// <param name="groups">Groups; <paramref name="inChannels"/> for a depthwise convolution.</param>
    /// <param name="activation">The activation; <see langword="null"/> means ReLU, and <see cref="Activation.None"/> gives a linear projection.</param>
    /// <param name="batchNormEps">BatchNorm's epsilon.</param>
    /// <param name="batchNormMomentum">BatchNorm's momentum.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    public static Sequential Create(long inChannels, long outChannels, long kernelSize = 3, long stride = 1, long groups = 1, Activation? activation = null, double batchNormEps = 1e-5, double batchNormMomentum = 0.1)
    {
        LayerArguments.Positive(inChannels, nameof(inChannels));
        LayerArguments.Positive(outChannels, nameof(outChannels));
        LayerArguments.Positive(kernelSize, nameof(kernelSize));
        LayerArguments.Positive(stride, nameof(stride));
        LayerArguments.Groups(inChannels, outChannels, groups);

        var layers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("0", nn.Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: (kernelSize - 1) / 2, groups: groups, bias: false)),
            ("1", new BatchNorm2d(outChannels, eps: batchNormEps, momentum: batchNormMomentum)),
        };
        if ((activation ?? Activation.ReLU).CreateModule() is { } act)
        {
            layers.Add(("2", act));
        }

        return nn.Sequential(layers);
    }
}
