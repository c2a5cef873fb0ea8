using SkiaSharp;

namespace CnnClassify.Evaluation.Plots;

/// <summary>Encodes a drawing as PNG and writes it atomically.</summary>
internal static class PngFile
{
    public static void Save(SKSurface surface, string path)
    {
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        Interop.AtomicFile.Write(path, data.SaveTo);
    }

    public static void DrawText(SKCanvas canvas, string text, float x, float y, float size, SKColor color, SKTextAlign align = SKTextAlign.Left)
    {
        using var font = PlotFonts.Font(size);
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        canvas.DrawText(text, x, y, align, font, paint);
    }
}
