using CnnClassify.Data.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Runtime;

/// <summary>One of torchvision's five crops: a corner or the centre of the image, of a fixed size.</summary>
internal sealed class CornerCrop(int corner, long height, long width) : IImageTransform
{
    /// <summary>The names of the five crops, in torchvision's order.</summary>
    public static readonly string[] Names = ["top-left crop", "top-right crop", "bottom-left crop", "bottom-right crop", "centre crop"];

    public Tensor Apply(Tensor image, Random random)
    {
        if (image.dim() != 3 || image.shape[1] < height || image.shape[2] < width)
        {
            throw new ArgumentException($"A {height}x{width} crop needs an image at least that large; got [{string.Join(", ", image.shape)}].", nameof(image));
        }

        var (h, w) = (image.shape[1], image.shape[2]);
        var (top, left) = corner switch
        {
            0 => (0L, 0L),
            1 => (0L, w - width),
            2 => (h - height, 0L),
            3 => (h - height, w - width),
            _ => (Data.CenterCropOffset.Of(h, height), Data.CenterCropOffset.Of(w, width)),
        };
        using var rows = image.narrow(1, top, height);
        return rows.narrow(2, left, width).contiguous();
    }
}
