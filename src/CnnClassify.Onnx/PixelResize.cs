namespace CnnClassify.Onnx;

/// <summary>
/// Resizes planar [C, H, W] pixel values exactly as the training library's <c>Resize</c> does
/// with LibTorch (<c>interpolate</c> with antialiasing for bilinear and bicubic, on float32 values,
/// then rounded half to even and clamped to 0–255): separable, the width first, each output a
/// normalised weighted sum over a window that widens with the downscaling factor. The arithmetic
/// follows LibTorch's float32 path step by step, each multiply and add of the sum fused as LibTorch's
/// compiled kernels fuse them, so that deployed predictions see the very pixels the model was
/// evaluated on.
/// </summary>
internal static class PixelResize
{
    /// <summary>Resizes <paramref name="planes"/> ([channels, height, width], values 0–255) to <paramref name="outHeight"/> x <paramref name="outWidth"/> and rounds to bytes.</summary>
    public static byte[] Resize(float[] planes, int channels, int height, int width, int outHeight, int outWidth, string interpolation)
    {
        var values = planes;
        if (interpolation == "nearest")
        {
            values = Nearest(values, channels, height, width, outHeight, outWidth);
        }
        else
        {
            var bicubic = interpolation == "bicubic";
            if (outWidth != width)
            {
                values = Axis(values, channels * height, width, 1, outWidth, bicubic);
            }

            if (outHeight != height)
            {
                var columns = new float[channels * outHeight * outWidth];
                for (var c = 0; c < channels; c++)
                {
                    // One channel's plane, resampled along its columns (values a row apart).
                    var plane = new float[height * outWidth];
                    Array.Copy(values, c * height * outWidth, plane, 0, plane.Length);
                    var resized = Axis(plane, 1, height, outWidth, outHeight, bicubic);
                    Array.Copy(resized, 0, columns, c * outHeight * outWidth, resized.Length);
                }

                values = columns;
            }
        }

        var bytes = new byte[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            bytes[i] = (byte)Math.Clamp(MathF.Round(values[i], MidpointRounding.ToEven), 0f, 255f);
        }

        return bytes;
    }

    // Resamples `lines` runs of `size` values spaced `stride` apart (stride 1: along rows; stride
    // = row length: along columns of a single plane) to `outSize` values each.
    private static float[] Axis(float[] source, int lines, int size, int stride, int outSize, bool bicubic)
    {
        var (starts, counts, weights, taps) = Weights(size, outSize, bicubic);
        var result = new float[source.Length / size * outSize];
        if (stride == 1)
        {
            for (var line = 0; line < lines; line++)
            {
                for (var o = 0; o < outSize; o++)
                {
                    result[(line * outSize) + o] = Sum(source, (line * size) + starts[o], 1, weights, o * taps, counts[o]);
                }
            }
        }
        else
        {
            for (var o = 0; o < outSize; o++)
            {
                for (var column = 0; column < stride; column++)
                {
                    result[(o * stride) + column] = Sum(source, (starts[o] * stride) + column, stride, weights, o * taps, counts[o]);
                }
            }
        }

        return result;
    }

    private static float Sum(float[] source, int first, int step, float[] weights, int offset, int count)
    {
        var total = source[first] * weights[offset];
        for (var j = 1; j < count; j++)
        {
            total = MathF.FusedMultiplyAdd(source[first + (j * step)], weights[offset + j], total);
        }

        return total;
    }

    // The antialiased windows: for output i, centre = scale (i + 0.5), the filter stretched by the
    // scale when downsampling, weights normalised to sum 1; LibTorch's float32 arithmetic.
    private static (int[] Starts, int[] Counts, float[] Weights, int Taps) Weights(int inSize, int outSize, bool bicubic)
    {
        var scale = (float)inSize / outSize;
        var interpSize = bicubic ? 4 : 2;
        var support = scale >= 1.0 ? (float)(interpSize * 0.5 * scale) : (float)(interpSize * 0.5);
        var taps = (int)Math.Ceiling(support) * 2 + 1;
        var invscale = scale >= 1.0 ? (float)(1.0 / scale) : 1f;
        var starts = new int[outSize];
        var counts = new int[outSize];
        var weights = new float[outSize * taps];
        for (var i = 0; i < outSize; i++)
        {
            var center = (float)(scale * (i + 0.5));
            var xmin = Math.Max((long)(center - support + 0.5), 0L);
            var xsize = (int)(Math.Min((long)(center + support + 0.5), inSize) - xmin);
            var total = 0f;
            for (var j = 0; j < xsize; j++)
            {
                var w = Filter((float)(((j + xmin) - center + 0.5) * invscale), bicubic);
                weights[(i * taps) + j] = w;
                total += w;
            }

            if (total != 0f)
            {
                for (var j = 0; j < xsize; j++)
                {
                    weights[(i * taps) + j] /= total;
                }
            }

            starts[i] = (int)xmin;
            counts[i] = xsize;
        }

        return (starts, counts, weights, taps);
    }

    private static float Filter(float x, bool bicubic)
    {
        x = Math.Abs(x);
        if (!bicubic)
        {
            return x < 1f ? 1f - x : 0f;
        }

        const float A = -0.5f;
        return x < 1f ? (((A + 2f) * x) - (A + 3f)) * x * x + 1f
            : x < 2f ? ((((x - 5f) * x) + 8f) * x - 4f) * A
            : 0f;
    }

    private static float[] Nearest(float[] source, int channels, int height, int width, int outHeight, int outWidth)
    {
        var rows = Enumerable.Range(0, outHeight).Select(i => NearestIndex(i, height, outHeight)).ToArray();
        var columns = Enumerable.Range(0, outWidth).Select(i => NearestIndex(i, width, outWidth)).ToArray();
        var result = new float[channels * outHeight * outWidth];
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < outHeight; y++)
            {
                for (var x = 0; x < outWidth; x++)
                {
                    result[(((c * outHeight) + y) * outWidth) + x] = source[(((c * height) + rows[y]) * width) + columns[x]];
                }
            }
        }

        return result;
    }

    // LibTorch's legacy nearest: copy at the same size, halve at twice the size, else floor(i in / out).
    private static int NearestIndex(int output, int inSize, int outSize) =>
        outSize == inSize ? output
        : outSize == 2 * inSize ? output >> 1
        : Math.Min((int)MathF.Floor(output * ((float)inSize / outSize)), inSize - 1);
}
