using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>The projection shortcut shared by the residual blocks.</summary>
internal static class ResidualShortcut
{
    /// <summary>
    /// A 1x1 convolution and BatchNorm (named <c>0</c> and <c>1</c>, as in torchvision's
    /// <c>downsample</c>) when the stride or channel count changes, else <see langword="null"/>
    /// for an identity shortcut.
    /// </summary>
    public static Sequential? Create(long inChannels, long outChannels, long stride) =>
        stride == 1 && inChannels == outChannels
            ? null
            : nn.Sequential(
                ("0", nn.Conv2d(inChannels, outChannels, 1, stride: stride, bias: false)),
                ("1", new BatchNorm2d(outChannels)));
}
