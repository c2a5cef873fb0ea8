using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// The colour and histogram operations of the augmentation policies on <c>uint8</c> images, with
/// torchvision's arithmetic: float32 intermediates and a truncating cast back to <c>uint8</c>.
/// </summary>
internal static class PixelAdjustments
{
    // factor * image + (1 - factor) * other, clamped to [0, 255] and truncated to uint8.
    public static Tensor Blend(Tensor image, Tensor other, double factor)
    {
        using var scope = torch.NewDisposeScope();
        using var ratio = factor.ToScalar();
        using var rest = (1.0 - factor).ToScalar();
        return image.mul(ratio).add(other.mul(rest), HeldScalars.One).clamp(HeldScalars.Zero, HeldScalars.PixelMax).to(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    public static Tensor Brightness(Tensor image, double factor)
    {
        using var black = torch.zeros_like(image);
        return Blend(image, black, factor);
    }

    // Luma with torchvision's weights, truncated to uint8, [1, H, W].
    public static Tensor Gray(Tensor image)
    {
        if (image.shape[0] == 1)
        {
            return image.clone();
        }

        using var scope = torch.NewDisposeScope();
        using var wr = 0.2989.ToScalar();
        using var wg = 0.587.ToScalar();
        using var wb = 0.114.ToScalar();
        var luma = image[0].mul(wr).add(image[1].mul(wg), HeldScalars.One).add(image[2].mul(wb), HeldScalars.One);
        return luma.to(ScalarType.Byte).unsqueeze(0).MoveToOuterDisposeScope();
    }

    public static Tensor Saturation(Tensor image, double factor)
    {
        if (image.shape[0] == 1)
        {
            return image.clone();
        }

        using var gray = Gray(image);
        return Blend(image, gray, factor);
    }

    public static Tensor Contrast(Tensor image, double factor)
    {
        using var scope = torch.NewDisposeScope();
        var mean = Gray(image).to(ScalarType.Float32).mean([-3L, -2L, -1L], keepdim: true);
        return Blend(image, mean, factor).MoveToOuterDisposeScope();
    }

    public static Tensor Sharpness(Tensor image, double factor)
    {
        var (channels, height, width) = (image.shape[0], image.shape[1], image.shape[2]);
        if (height <= 2 || width <= 2)
        {
            return image.clone();
        }

        using var scope = torch.NewDisposeScope();
        using var centre = 5.ToScalar();
        var kernel = torch.ones(3, 3);
        kernel[1, 1].fill_(centre);
        kernel = kernel.div(kernel.sum()).expand(channels, 1, 3, 3);
        var smoothed = nn.functional.conv2d(image.to(ScalarType.Float32).unsqueeze(0), kernel, groups: channels).squeeze(0).round().to(ScalarType.Byte);
        var degenerate = image.clone();
        degenerate.narrow(1, 1, height - 2).narrow(2, 1, width - 2).copy_(smoothed);
        return Blend(image, degenerate, factor).MoveToOuterDisposeScope();
    }

    public static Tensor Posterize(Tensor image, int bits)
    {
        if (bits is < 0 or > 8)
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "Posterize keeps 0 to 8 bits.");
        }

        using var mask = torch.tensor((byte)(0xFF << (8 - bits)));
        return image.bitwise_and(mask);
    }

    public static Tensor Solarize(Tensor image, double threshold)
    {
        if (!(threshold <= 255))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "Solarize's threshold must be at most 255.");
        }

        using var scope = torch.NewDisposeScope();
        using var level = threshold.ToScalar();
        return torch.where(image.ge(level), Invert(image), image).MoveToOuterDisposeScope();
    }

    public static Tensor Invert(Tensor image)
    {
        using var white = torch.full_like(image, HeldScalars.PixelMax);
        return white.sub(image);
    }

    public static Tensor AutoContrast(Tensor image)
    {
        using var scope = torch.NewDisposeScope();
        var low = image.amin([-2L, -1L], keepdim: true).to(ScalarType.Float32);
        var high = image.amax([-2L, -1L], keepdim: true).to(ScalarType.Float32);
        var scale = torch.full_like(low, HeldScalars.PixelMax).div(high.sub(low));
        var flat = scale.isfinite().logical_not();
        low = torch.where(flat, torch.zeros_like(low), low);
        scale = torch.where(flat, torch.ones_like(scale), scale);
        return image.sub(low).mul(scale).clamp(HeldScalars.Zero, HeldScalars.PixelMax).to(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    // Each channel through the lookup table its histogram gives; a channel whose histogram is
    // too narrow (the step rounds to 0) is kept.
    public static Tensor Equalize(Tensor image)
    {
        var (channels, height, width) = ((int)image.shape[0], image.shape[1], image.shape[2]);
        var plane = checked((int)(height * width));
        using var contiguous = image.contiguous();
        var pixels = contiguous.data<byte>().ToArray();
        var histogram = new long[256];
        var table = new byte[256];
        for (var c = 0; c < channels; c++)
        {
            var channel = pixels.AsSpan(c * plane, plane);
            Array.Clear(histogram);
            foreach (var value in channel)
            {
                histogram[value]++;
            }

            var last = Array.FindLastIndex(histogram, n => n != 0);
            var step = (plane - histogram[last]) / 255;
            if (step == 0)
            {
                continue;
            }

            var cumulative = 0L;
            table[0] = 0;
            for (var v = 0; v < 255; v++)
            {
                cumulative += histogram[v];
                table[v + 1] = (byte)Math.Min(255, (cumulative + (step / 2)) / step);
            }

            for (var i = 0; i < channel.Length; i++)
            {
                channel[i] = table[channel[i]];
            }
        }

        return torch.tensor(pixels, [channels, height, width]);
    }
}
