namespace CnnClassify.Models;

/// <summary>Output-shape arithmetic for the layers the builder knows, as PyTorch computes it.</summary>
internal static class ShapeRules
{
    /// <summary>Thrown by a shape rule; the builder adds the layer index, type and input shape.</summary>
    internal sealed class Rejected(string reason) : Exception(reason);

    public static void RequireImage(SampleShape input, string hint)
    {
        if (!input.IsImage)
        {
            throw new Rejected($"is not an image (channels x height x width); {hint}");
        }
    }

    public static void RequireVector(SampleShape input, string hint)
    {
        if (input.Rank != 1)
        {
            throw new Rejected($"is not flat; {hint}");
        }
    }

    public static void RequireDivisibleChannels(SampleShape input, long groups)
    {
        if (input.Channels % groups != 0)
        {
            throw new Rejected($"has {input.Channels} channels, which groups={groups} does not divide");
        }
    }

    /// <summary>Height and width after a sliding window (convolution or pooling).</summary>
    public static SampleShape SlidingWindow(SampleShape input, long outChannels, long kernel, long stride, long padding, long dilation = 1, bool ceilMode = false)
    {
        var height = WindowOutput(input.Height, kernel, stride, padding, dilation, ceilMode);
        var width = WindowOutput(input.Width, kernel, stride, padding, dilation, ceilMode);
        if (height < 1 || width < 1)
        {
            throw new Rejected($"would shrink to {Math.Max(height, 0)}x{Math.Max(width, 0)}");
        }

        return SampleShape.Image(outChannels, height, width);
    }

    public static void RequirePoolPadding(long kernel, long padding)
    {
        if (2 * padding > kernel)
        {
            throw new Rejected($"needs padding ({padding}) of at most half the kernel ({kernel})");
        }
    }

    private static long WindowOutput(long size, long kernel, long stride, long padding, long dilation, bool ceilMode)
    {
        var span = size + (2 * padding) - (dilation * (kernel - 1)) - 1;
        if (span < 0)
        {
            return 0;
        }

        var output = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
        // With ceil mode, a last window that would start inside the right padding is dropped.
        if (ceilMode && (output - 1) * stride >= size + padding)
        {
            output--;
        }

        return output;
    }
}
