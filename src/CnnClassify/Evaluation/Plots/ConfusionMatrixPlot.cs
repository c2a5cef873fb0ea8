using System.Globalization;
using SkiaSharp;

namespace CnnClassify.Evaluation.Plots;

/// <summary>
/// Draws a confusion matrix as a PNG heatmap: true classes down, predicted classes across, each
/// cell shaded by its row-normalised value and labelled with its count (or share), with axis
/// titles and a colour scale.
/// </summary>
public static class ConfusionMatrixPlot
{
    private const string Title = "Confusion matrix";
    private const string TrueTitle = "True class";
    private const string PredictedTitle = "Predicted class";

    /// <summary>Writes the PNG.</summary>
    /// <param name="matrix">The confusion matrix.</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="showShares">Label cells with their row share instead of their count.</param>
    /// <param name="cellSize">Cell size in pixels.</param>
    /// <returns>Where the cells, axis titles and colour scale were drawn.</returns>
    public static ConfusionMatrixLayout Save(ConfusionMatrix matrix, string path, bool showShares = false, int cellSize = 56)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (png, layout) = Render(matrix, showShares, cellSize);
        PngFile.Write(path, png);
        return layout;
    }

    /// <summary>Draws the plot and encodes it as PNG.</summary>
    internal static (byte[] Png, ConfusionMatrixLayout Layout) Render(ConfusionMatrix matrix, bool showShares = false, int cellSize = 56)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentOutOfRangeException.ThrowIfLessThan(cellSize, 16);
        var n = matrix.Size;
        var shares = matrix.Normalized(NormalizeOver.True);
        using var labelFont = PlotFonts.Font(13);
        using var titleFont = PlotFonts.Font(16);
        var longest = (int)Math.Ceiling(matrix.ClassNames.Max(name => labelFont.MeasureText(name)));
        var left = 34 + longest + 12;
        var top = 50;
        var grid = n * cellSize;
        var barLeft = left + grid + 24;
        var width = Math.Max(barLeft + 16 + 60, (int)titleFont.MeasureText(Title) + 40);
        var namesBottom = top + grid + 10 + (int)Math.Ceiling(0.75 * longest) + 16;
        var height = namesBottom + 30;
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        PngFile.DrawText(canvas, Title, (left + (grid / 2f)), 30, 16, SKColors.Black, SKTextAlign.Center);

        using var cellPaint = new SKPaint { IsAntialias = false };
        for (var t = 0; t < n; t++)
        {
            for (var p = 0; p < n; p++)
            {
                var share = shares[t, p];
                cellPaint.Color = Shade(share);
                var x = left + (p * cellSize);
                var y = top + (t * cellSize);
                canvas.DrawRect(x, y, cellSize, cellSize, cellPaint);
                var label = showShares ? share.ToString("F2", CultureInfo.InvariantCulture) : matrix[t, p].ToString(CultureInfo.InvariantCulture);
                PngFile.DrawText(canvas, label, x + (cellSize / 2f), y + (cellSize / 2f) + 5, 13, share > 0.5 ? SKColors.White : SKColors.Black, SKTextAlign.Center);
            }

            PngFile.DrawText(canvas, matrix.ClassNames[t], left - 8, top + (t * cellSize) + (cellSize / 2f) + 5, 13, SKColors.Black, SKTextAlign.Right);
        }

        for (var p = 0; p < n; p++)
        {
            canvas.Save();
            var x = left + (p * cellSize) + (cellSize / 2f) + 5;
            var y = top + grid + 8;
            canvas.RotateDegrees(45, x, y);
            PngFile.DrawText(canvas, matrix.ClassNames[p], x, y + 8, 13, SKColors.Black);
            canvas.Restore();
        }

        // Axis titles: "True class" turned upright along the rows, "Predicted class" under the names.
        canvas.Save();
        canvas.RotateDegrees(-90, 18, top + (grid / 2f));
        PngFile.DrawText(canvas, TrueTitle, 18, top + (grid / 2f) + 5, 14, SKColors.Black, SKTextAlign.Center);
        canvas.Restore();
        PngFile.DrawText(canvas, PredictedTitle, left + (grid / 2f), namesBottom + 18, 14, SKColors.Black, SKTextAlign.Center);
        var trueWidth = (int)Math.Ceiling(labelFont.MeasureText(TrueTitle) * 14 / 13);
        var predictedWidth = (int)Math.Ceiling(labelFont.MeasureText(PredictedTitle) * 14 / 13);

        // The colour scale: row share 0 at the bottom to 1 at the top.
        using var barPaint = new SKPaint { IsAntialias = false };
        for (var row = 0; row < grid; row++)
        {
            barPaint.Color = Shade(1 - ((row + 0.5) / grid));
            canvas.DrawRect(barLeft, top + row, 16, 1, barPaint);
        }

        using var framePaint = new SKPaint { Color = new SKColor(90, 90, 90), Style = SKPaintStyle.Stroke, IsAntialias = false };
        canvas.DrawRect(barLeft, top, 16, grid, framePaint);
        var ticks = new List<AxisTick>();
        foreach (var share in new[] { 0, 0.25, 0.5, 0.75, 1 })
        {
            var y = top + grid - (float)(share * grid);
            canvas.DrawLine(barLeft + 16, y, barLeft + 20, y, framePaint);
            var label = AxisRange.Percent(share);
            PngFile.DrawText(canvas, label, barLeft + 23, y + 5, 12, SKColors.Black);
            ticks.Add(new AxisTick(share, label, y));
        }

        var layout = new ConfusionMatrixLayout(
            new PixelRect(left, top, grid, grid),
            new PixelRect(6, top + (grid / 2) - (trueWidth / 2), 16, trueWidth),
            new PixelRect(left + (grid / 2) - (predictedWidth / 2), namesBottom + 4, predictedWidth, 18),
            new PixelRect(barLeft, top, 16, grid),
            ticks);
        return (PngFile.Encode(surface), layout);
    }

    // White to dark blue.
    private static SKColor Shade(double share)
    {
        var s = Math.Clamp(share, 0, 1);
        return new SKColor((byte)(255 - (s * 225)), (byte)(255 - (s * 190)), (byte)(255 - (s * 90)));
    }
}
