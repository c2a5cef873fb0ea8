using System.Runtime.InteropServices;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data;

/// <summary>
/// Decodes JPEGs with libjpeg-turbo (through SkiaSharp) at the smallest DCT scale, M/8 of the full
/// size for M from 1 to 8, that still covers a <see cref="DecodeSize"/>: a 12-megapixel photo for a
/// 256-pixel resize is decoded at 1/8, about 30 times less work. Pixels are RGB bytes without
/// colour management, as PIL gives them.
/// </summary>
internal static class JpegScaledDecoder
{
    /// <summary>Whether <paramref name="header"/> starts like a JPEG file (SOI marker, then another marker).</summary>
    public static bool IsJpeg(ReadOnlySpan<byte> header) => header.Length >= 3 && header[0] == 0xFF && header[1] == 0xD8 && header[2] == 0xFF;

    /// <summary>Decodes the JPEG in <paramref name="stream"/> to a <c>uint8</c> tensor [3, H, W] no smaller than <paramref name="size"/> allows.</summary>
    /// <exception cref="InvalidImageException">The file is damaged, truncated or larger than <paramref name="maxPixels"/>.</exception>
    public static Tensor Decode(Stream stream, string sourceName, DecodeSize? size, long maxPixels, bool applyOrientation)
    {
        // SkiaSharp would dispose a .NET stream handed to it directly; the caller's stream stays open.
        using var skiaStream = new SKManagedStream(stream, disposeManagedStream: false);
        using var codec = SKCodec.Create(skiaStream, out var result)
            ?? throw new InvalidImageException(sourceName, $"its JPEG header cannot be read ({result})");
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width < 1 || height < 1 || (long)width * height > maxPixels)
        {
            throw new InvalidImageException(sourceName, $"its size {width}x{height} is outside 1 to {maxPixels:N0} pixels (a decompression bomb guard; raise MaxPixels to allow it)") { ExceedsPixelLimit = true };
        }

        var scaled = ScaledDimensions(codec, size, applyOrientation);
        var info = new SKImageInfo(scaled.Width, scaled.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[(long)info.Width * info.Height * 4];
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            result = codec.GetPixels(info, handle.AddrOfPinnedObject(), info.RowBytes, new SKCodecOptions());
        }
        finally
        {
            handle.Free();
        }

        if (result != SKCodecResult.Success)
        {
            // PIL refuses truncated files by default (LOAD_TRUNCATED_IMAGES is off); so do we.
            throw new InvalidImageException(sourceName, result == SKCodecResult.IncompleteInput
                ? "the JPEG is truncated (its data ends before the image does)"
                : $"it cannot be decoded ({result})");
        }

        using var scope = torch.NewDisposeScope();
        var hwc = torch.tensor(rgba, [info.Height, info.Width, 4], ScalarType.Byte);
        var chw = hwc.narrow(2, 0, 3).permute(2, 0, 1);
        chw = applyOrientation ? Orient(chw, codec.EncodedOrigin) : chw;
        return chw.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The decoded size: the smallest M/8 scale whose result, once oriented, covers <paramref name="size"/>.</summary>
    private static SKSizeI ScaledDimensions(SKCodec codec, DecodeSize? size, bool applyOrientation)
    {
        var full = new SKSizeI(codec.Info.Width, codec.Info.Height);
        if (size is null)
        {
            return full;
        }

        var transposed = applyOrientation && codec.EncodedOrigin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        for (var eighths = 1; eighths < 8; eighths++)
        {
            var candidate = codec.GetScaledDimensions(eighths / 8f);
            var (w, h) = transposed ? (candidate.Height, candidate.Width) : (candidate.Width, candidate.Height);
            if (candidate.Width > 0 && candidate.Height > 0 && size.IsCoveredBy(w, h))
            {
                return candidate;
            }
        }

        return full;
    }

    /// <summary>Applies an EXIF orientation to an image [C, H, W], as PIL's <c>ImageOps.exif_transpose</c>.</summary>
    /// <remarks>The transposed view is held by a local while it is flipped, so that no temporary tensor can be finalized mid-call.</remarks>
    internal static Tensor Orient(Tensor chw, SKEncodedOrigin origin)
    {
        switch (origin)
        {
            case SKEncodedOrigin.TopRight:
                return chw.flip(2);
            case SKEncodedOrigin.BottomRight:
                return chw.flip(1, 2);
            case SKEncodedOrigin.BottomLeft:
                return chw.flip(1);
            case SKEncodedOrigin.LeftTop:
                return chw.transpose(1, 2);
            case SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom:
                using (var transposed = chw.transpose(1, 2))
                {
                    return origin switch
                    {
                        SKEncodedOrigin.RightTop => transposed.flip(2),
                        SKEncodedOrigin.RightBottom => transposed.flip(1, 2),
                        _ => transposed.flip(1),
                    };
                }

            default:
                return chw;
        }
    }
}
