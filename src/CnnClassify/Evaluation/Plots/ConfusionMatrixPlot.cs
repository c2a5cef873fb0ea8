using System.Globalization;
using SkiaSharp;

namespace CnnClassify.Evaluation.Plots;

/// <summary>
/// Draws a confusion matrix as a PNG heatmap: true classes down, predicted classes across, each
/// cell shaded by its row-normalised value and labelled with its count (or share).
/// </summary>
public static class ConfusionMatrixPlot
{
    /// <summary>Writes the PNG.</summary>
    /// <param name="matrix">The confusion matrix.</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="showShares">Label cells with their row share instead of their count.</param>
    /// <param name="cellSize">Cell size in pixels.</param>
    public static void Save(ConfusionMatrix matrix, string path, bool showShares = false, int cellSize = 56)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(cellSize, 16);
        var n = matrix.Size;
        var shares = matrix.Normalized(NormalizeOver.True);
        const string Title = "Confusion matrix (rows: true class, columns: predicted)";
        using var labelFont = PlotFonts.Font(13);
        using var titleFont = PlotFonts.Font(16);
        var longest = (int)Math.Ceiling(matrix.ClassNames.Max(name => labelFont.MeasureText(name)));
        var margin = longest + 40;
        var top = 50;
        var width = Math.Max(margin + (n * cellSize) + (int)(0.75 * longest) + 20, (int)titleFont.MeasureText(Title) + 40);
        var height = top + (n * cellSize) + margin;
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        PngFile.DrawText(canvas, Title, width / 2f, 30, 16, SKColors.Black, SKTextAlign.Center);

        using var cellPaint = new SKPaint { IsAntialias = false };
        for (var t = 0; t < n; t++)
        {
            for (var p = 0; p < n; p++)
            {
                var share = shares[t, p];
                cellPaint.Color = Shade(share);
                var x = margin + (p * cellSize);
                var y = top + (t * cellSize);
                canvas.DrawRect(x, y, cellSize, cellSize, cellPaint);
                var label = showShares ? share.ToString("F2", CultureInfo.InvariantCulture) : matrix[t, p].ToString(CultureInfo.InvariantCulture);
                PngFile.DrawText(canvas, label, x + (cellSize / 2f), y + (cellSize / 2f) + 5, 13, share > 0.5 ? SKColors.White : SKColors.Black, SKTextAlign.Center);
            }

            PngFile.DrawText(canvas, matrix.ClassNames[t], margin - 8, top + (t * cellSize) + (cellSize / 2f) + 5, 13, SKColors.Black, SKTextAlign.Right);
        }

        for (var p = 0; p < n; p++)
        {
            canvas.Save();
            var x = margin + (p * cellSize) + (cellSize / 2f) + 5;
            var y = top + (n * cellSize) + 8;
            canvas.RotateDegrees(45, x, y);
            PngFile.DrawText(canvas, matrix.ClassNames[p], x, y + 8, 13, SKColors.Black);
            canvas.Restore();
        }

        PngFile.Save(surface, path);
    }

    // White to dark blue.
    private static SKColor Shade(double share)
    {
        var s = Math.Clamp(share, 0, 1);
        return new SKColor((byte)(255 - (s * 225)), (byte)(255 - (s * 190)), (byte)(255 - (s * 90)));
    }
}
