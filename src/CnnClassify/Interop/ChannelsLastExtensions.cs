using static TorchSharp.torch;

namespace CnnClassify.Interop;

/// <summary>
/// The channels-last memory layout (PyTorch's <c>torch.channels_last</c>) for image batches, which
/// TorchSharp has no call for. The tensor keeps its [N, C, H, W] shape and values; only the order
/// in memory changes to N, H, W, C. LibTorch's oneDNN convolutions on the CPU, and cuDNN's on
/// tensor cores, run faster on it, and every activation after the first convolution keeps it.
/// </summary>
public static class ChannelsLastExtensions
{
    /// <summary>Returns <paramref name="images"/> stored channels-last (a copy, unless it already is).</summary>
    /// <param name="images">A batch of shape [N, C, H, W].</param>
    /// <exception cref="ArgumentException"><paramref name="images"/> is not four-dimensional.</exception>
    public static Tensor ToChannelsLast(this Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4)
        {
            throw new ArgumentException($"Channels-last needs a batch of shape [N, C, H, W]; this tensor has shape [{string.Join(", ", images.shape)}].", nameof(images));
        }

        using var nhwc = images.permute(0, 2, 3, 1);
        using var dense = nhwc.contiguous();
        return dense.permute(0, 3, 1, 2);
    }

    /// <summary>Whether <paramref name="images"/> is a dense four-dimensional tensor stored channels-last.</summary>
    /// <param name="images">Any tensor.</param>
    public static bool IsChannelsLast(this Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4)
        {
            return false;
        }

        var (c, h, w) = (images.shape[1], images.shape[2], images.shape[3]);
        var strides = images.stride();
        return strides[1] == 1 && strides[3] == c && strides[2] == w * c && (images.shape[0] == 1 || strides[0] == h * w * c);
    }
}
