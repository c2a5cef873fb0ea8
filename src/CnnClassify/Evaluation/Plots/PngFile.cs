using CnnClassify.Serialization;
using SkiaSharp;

namespace CnnClassify.Evaluation.Plots;

/// <summary>Encodes a drawing as PNG, writes PNG files atomically, and draws text with the embedded font.</summary>
internal static class PngFile
{
    public static void Write(string path, byte[] png) => Serialization.AtomicFile.Write(path, stream => stream.Write(png));

    public static byte[] Encode(SKSurface surface)
    {
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    public static void DrawText(SKCanvas canvas, string text, float x, float y, float size, SKColor color, SKTextAlign align = SKTextAlign.Left)
    {
        using var font = PlotFonts.Font(size);
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        canvas.DrawText(text, x, y, align, font, paint);
    }
}
