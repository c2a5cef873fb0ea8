using SkiaSharp;

namespace CnnClassify.Evaluation.Plots;

/// <summary>A line to draw: its legend name, colour and points, with a marker on each point unless it is a dense curve.</summary>
internal sealed record LineData(string Name, SKColor Color, IReadOnlyList<double> X, IReadOnlyList<double> Y, bool Markers = true);

/// <summary>
/// Draws one line-chart panel: title, axes with labelled ticks and grid lines, the lines with
/// point markers, and a legend below the axes, outside the data area, so it never covers a point.
/// </summary>
internal static class LinePanel
{
    private const float TitleSize = 15;
    private const float LabelSize = 12;

    public static PlotPanel Draw(SKCanvas canvas, PixelRect area, string title, string xTitle, string yTitle, AxisRange x, AxisRange y, IReadOnlyList<LineData> lines)
    {
        using var labelFont = PlotFonts.Font(LabelSize);
        var yLabelWidth = (int)Math.Ceiling(y.Ticks.Max(t => labelFont.MeasureText(t.Label)));
        var legend = lines.Count > 1;
        var left = area.Left + 24 + yLabelWidth + 8;
        var top = area.Top + 34;
        var right = area.Right - 18;
        var bottom = area.Bottom - 20 - 22 - (legend ? 26 : 0);
        var data = new PixelRect(left, top, right - left, bottom - top);

        PngFile.DrawText(canvas, title, area.Left + (area.Width / 2f), area.Top + 22, TitleSize, SKColors.Black, SKTextAlign.Center);

        using var gridPaint = new SKPaint { Color = new SKColor(225, 225, 225), StrokeWidth = 1, IsAntialias = false };
        using var framePaint = new SKPaint { Color = new SKColor(90, 90, 90), StrokeWidth = 1, Style = SKPaintStyle.Stroke, IsAntialias = false };
        float XPixel(double v) => data.Left + (float)(x.Position(v) * data.Width);
        float YPixel(double v) => data.Bottom - (float)(y.Position(v) * data.Height);

        var xTicks = new List<AxisTick>();
        foreach (var (value, label) in x.Ticks)
        {
            var px = XPixel(value);
            canvas.DrawLine(px, data.Top, px, data.Bottom, gridPaint);
            canvas.DrawLine(px, data.Bottom, px, data.Bottom + 4, framePaint);
            PngFile.DrawText(canvas, label, px, data.Bottom + 17, LabelSize, SKColors.Black, SKTextAlign.Center);
            xTicks.Add(new AxisTick(value, label, px));
        }

        var yTicks = new List<AxisTick>();
        foreach (var (value, label) in y.Ticks)
        {
            var py = YPixel(value);
            canvas.DrawLine(data.Left, py, data.Right, py, gridPaint);
            canvas.DrawLine(data.Left - 4, py, data.Left, py, framePaint);
            PngFile.DrawText(canvas, label, data.Left - 7, py + 4, LabelSize, SKColors.Black, SKTextAlign.Right);
            yTicks.Add(new AxisTick(value, label, py));
        }

        canvas.DrawRect(data.Left, data.Top, data.Width, data.Height, framePaint);
        PngFile.DrawText(canvas, xTitle, data.Left + (data.Width / 2f), data.Bottom + 36, LabelSize, SKColors.Black, SKTextAlign.Center);
        canvas.Save();
        canvas.RotateDegrees(-90, area.Left + 15, data.Top + (data.Height / 2f));
        PngFile.DrawText(canvas, yTitle, area.Left + 15, data.Top + (data.Height / 2f), LabelSize, SKColors.Black, SKTextAlign.Center);
        canvas.Restore();

        var series = new List<PlotSeries>();
        canvas.Save();
        canvas.ClipRect(new SKRect(data.Left, data.Top, data.Right, data.Bottom));
        foreach (var line in lines)
        {
            using var stroke = new SKPaint { Color = line.Color, StrokeWidth = 2, Style = SKPaintStyle.Stroke, IsAntialias = true };
            using var marker = new SKPaint { Color = line.Color, Style = SKPaintStyle.Fill, IsAntialias = true };
            var points = line.X.Zip(line.Y).Where(p => double.IsFinite(p.Second) && (y.Scale == AxisScale.Linear || p.Second > 0))
                .Select(p => (X: XPixel(p.First), Y: YPixel(p.Second))).ToList();
            using var path = new SKPath();
            for (var i = 0; i < points.Count; i++)
            {
                if (i == 0)
                {
                    path.MoveTo(points[i].X, points[i].Y);
                }
                else
                {
                    path.LineTo(points[i].X, points[i].Y);
                }
            }

            canvas.DrawPath(path, stroke);
            foreach (var (px, py) in line.Markers ? points : [])
            {
                canvas.DrawCircle(px, py, 3, marker);
            }

            series.Add(new PlotSeries(legend ? line.Name : string.Empty, (line.Color.Red << 16) | (line.Color.Green << 8) | line.Color.Blue, points));
        }

        canvas.Restore();

        PixelRect? legendBox = null;
        if (legend)
        {
            const int Swatch = 22;
            var widths = lines.Select(l => Swatch + 6 + (int)Math.Ceiling(labelFont.MeasureText(l.Name))).ToList();
            var total = widths.Sum() + (16 * (lines.Count - 1)) + 12;
            var box = new PixelRect(data.Left + ((data.Width - total) / 2), area.Bottom - 26, total, 20);
            using var boxPaint = new SKPaint { Color = new SKColor(200, 200, 200), Style = SKPaintStyle.Stroke, IsAntialias = false };
            canvas.DrawRect(box.Left, box.Top, box.Width, box.Height, boxPaint);
            var cursor = box.Left + 6f;
            for (var i = 0; i < lines.Count; i++)
            {
                using var swatch = new SKPaint { Color = lines[i].Color, StrokeWidth = 2, IsAntialias = true };
                canvas.DrawLine(cursor, box.Top + 10, cursor + Swatch, box.Top + 10, swatch);
                canvas.DrawCircle(cursor + (Swatch / 2f), box.Top + 10, 3, swatch);
                PngFile.DrawText(canvas, lines[i].Name, cursor + Swatch + 6, box.Top + 14, LabelSize, SKColors.Black);
                cursor += widths[i] + 16;
            }

            legendBox = box;
        }

        var xAxis = new PlotAxis(xTitle, x.Scale, x.Minimum, x.Maximum, xTicks, new PixelRect(data.Left - 20, data.Bottom + 4, data.Width + 40, 18));
        var yAxis = new PlotAxis(yTitle, y.Scale, y.Minimum, y.Maximum, yTicks, new PixelRect(area.Left + 24, data.Top - 8, yLabelWidth + 4, data.Height + 16));
        return new PlotPanel(title, area, data, xAxis, yAxis, series, legendBox);
    }
}
