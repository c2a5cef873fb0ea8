using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Native;

/// <summary>
/// The channels-last memory layout (PyTorch's <c>torch.channels_last</c>) for image batches, which
/// TorchSharp has no call for. The tensor keeps its [N, C, H, W] shape and values; only the order
/// in memory changes to N, H, W, C. LibTorch's oneDNN convolutions on the CPU, and cuDNN's on
/// tensor cores, run faster on it, and every activation after the first convolution keeps it.
/// A model converted with <see cref="ToChannelsLast{T}(T)"/> keeps its weights in that order too,
/// so convolutions need no reordering of the weights at every step.
/// </summary>
public static class ChannelsLastExtensions
{
    /// <summary>
    /// Returns <paramref name="images"/> stored channels-last, with the strides
    /// [H·W·C, 1, W·C, C] even where a dimension of size 1 (one channel) would allow others, as
    /// PyTorch's <c>to(memory_format=torch.channels_last)</c> writes them: a copy, or a view when
    /// it already has them.
    /// </summary>
    /// <param name="images">A batch of shape [N, C, H, W].</param>
    /// <exception cref="ArgumentException"><paramref name="images"/> is not four-dimensional.</exception>
    public static Tensor ToChannelsLast(this Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4)
        {
            throw new ArgumentException($"Channels-last needs a batch of shape [N, C, H, W]; this tensor has shape [{string.Join(", ", images.shape)}].", nameof(images));
        }

        if (HasChannelsLastStrides(images))
        {
            return images.alias();
        }

        var (c, h, w) = (images.shape[1], images.shape[2], images.shape[3]);
        // copy_ is differentiable, so the copy stays in the graph of an input that needs gradients.
        var reordered = torch.empty_strided(images.shape, [h * w * c, 1, w * c, c], images.dtype, images.device);
        return reordered.copy_(images);
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

        // As PyTorch's is_contiguous(memory_format=channels_last): a dimension of size 1 may have any stride.
        var (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3]);
        var strides = images.stride();
        static bool Fits(long size, long stride, long expected) => size == 1 || stride == expected;
        return Fits(c, strides[1], 1) && Fits(w, strides[3], c) && Fits(h, strides[2], w * c) && Fits(n, strides[0], h * w * c);
    }

    /// <summary>
    /// Whether <paramref name="tensor"/> has exactly the strides of a dense channels-last
    /// [N, C, H, W] tensor, size-1 dimensions included ([H·W·C, 1, W·C, C]), which is what
    /// LibTorch reads as a channels-last layout when a dimension of size 1 makes
    /// <see cref="IsChannelsLast"/> true for both orders.
    /// </summary>
    internal static bool HasChannelsLastStrides(Tensor tensor)
    {
        var (c, h, w) = (tensor.shape[1], tensor.shape[2], tensor.shape[3]);
        var strides = tensor.stride();
        return strides[0] == h * w * c && strides[1] == 1 && strides[2] == w * c && strides[3] == c;
    }

    /// <summary>
    /// Stores every four-dimensional parameter and buffer of <paramref name="model"/> channels-last,
    /// in place, as PyTorch's <c>model.to(memory_format=torch.channels_last)</c>: values, shapes,
    /// <c>requires_grad</c> and the parameter objects themselves stay as they were, so an optimizer
    /// built before or after keeps working. Checkpoints and safetensors files are written in
    /// PyTorch's standard (contiguous) order either way.
    /// </summary>
    /// <param name="model">The model; other tensors are left alone.</param>
    /// <returns><paramref name="model"/>.</returns>
    public static T ToChannelsLast<T>(this T model) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(model);
        using var noGrad = torch.no_grad();
        foreach (var tensor in model.parameters().Cast<Tensor>().Concat(model.buffers()))
        {
            // Exact strides, not IsChannelsLast: a weight with one input channel passes that test in
            // either order, and LibTorch picks a convolution's layout from the strides it sees.
            if (tensor.dim() == 4 && !HasChannelsLastStrides(tensor))
            {
                using var reordered = tensor.ToChannelsLast();
                tensor.set_(reordered);
            }
        }

        return model;
    }

    /// <summary>
    /// Runs <paramref name="action"/> with <paramref name="tensors"/> stored in the standard
    /// contiguous order, then puts those that were channels-last back in that order, in place.
    /// TorchSharp's serialisers copy raw bytes and accept only contiguous tensors.
    /// </summary>
    internal static void WhileContiguous(IEnumerable<Tensor> tensors, Action action)
    {
        var reordered = new List<Tensor>();
        using (torch.no_grad())
        {
            foreach (var tensor in tensors)
            {
                if (tensor.dim() == 4 && !tensor.is_contiguous() && tensor.IsChannelsLast())
                {
                    using var standard = tensor.contiguous();
                    tensor.set_(standard);
                    reordered.Add(tensor);
                }
            }
        }

        try
        {
            action();
        }
        finally
        {
            using var noGrad = torch.no_grad();
            foreach (var tensor in reordered)
            {
                using var back = tensor.ToChannelsLast();
                tensor.set_(back);
            }
        }
    }
}
