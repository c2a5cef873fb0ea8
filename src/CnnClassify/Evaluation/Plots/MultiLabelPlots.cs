using System.Globalization;
using CnnClassify.Data;
using CnnClassify.Runtime;
using SkiaSharp;

namespace CnnClassify.Evaluation.Plots;

/// <summary>
/// The plots of a multi-label evaluation: each label's precision-recall curve, each label's
/// confusion matrix (scikit-learn's <c>multilabel_confusion_matrix</c>), and the samples whose
/// label sets are most wrong.
/// </summary>
public static class MultiLabelPlots
{
    private const int Columns = 4;

    /// <summary>Writes a grid of precision-recall curves, one panel per label, titled with its average precision; the model's threshold is marked on each.</summary>
    /// <param name="predictions">The predictions.</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="maxLabels">Most panels; with more labels, those with the lowest average precision are drawn.</param>
    public static void SavePrecisionRecall(MultiLabelPredictionSet predictions, string path, int maxLabels = 24)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        PngFile.Write(path, RenderPrecisionRecall(predictions, maxLabels));
    }

    /// <summary>Writes a grid of the labels' 2x2 confusion matrices (rows true, columns predicted; no, then yes).</summary>
    /// <param name="predictions">The predictions.</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="maxLabels">Most matrices; with more labels, those with the lowest F1 are drawn.</param>
    public static void SaveConfusionMatrices(MultiLabelPredictionSet predictions, string path, int maxLabels = 48)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        PngFile.Write(path, RenderConfusionMatrices(predictions, maxLabels));
    }

    /// <summary>Writes the samples with a wrong label set and the highest loss, each with its true and predicted labels.</summary>
    /// <param name="predictions">The predictions.</param>
    /// <param name="dataset">The dataset they were made on.</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="count">Samples to show.</param>
    public static void SaveTopLosses(MultiLabelPredictionSet predictions, IImageDataset dataset, string path, int count = 16)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        PngFile.Write(path, RenderTopLosses(predictions, dataset, count));
    }

    internal static byte[] RenderPrecisionRecall(MultiLabelPredictionSet predictions, int maxLabels = 24)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLabels, 1);
        var report = predictions.Report();
        var labels = Chosen(report.Labels.Select(l => l.AveragePrecision).ToList(), maxLabels);
        const int Width = 300, Height = 270;
        var rows = Math.Max(1, (labels.Count + Columns - 1) / Columns);
        using var surface = SKSurface.Create(new SKImageInfo(Columns * Width, rows * Height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        var unit = AxisRange.Values([0.0, 1.0]);
        for (var k = 0; k < labels.Count; k++)
        {
            var c = labels[k];
            var scores = Enumerable.Range(0, predictions.Count).Select(i => (double)predictions.Probabilities(i)[c]).ToList();
            var truth = Enumerable.Range(0, predictions.Count).Select(i => predictions.TrueLabels(i).Contains(c)).ToList();
            var curve = RankingMetrics.PrecisionRecallCurve(scores, truth);

            // Steps as average precision counts them: each recall gained at its precision.
            var x = new List<double> { 0 };
            var y = new List<double> { curve.Count > 0 ? curve[0].Precision : 0 };
            foreach (var point in curve)
            {
                x.Add(x[^1]);
                y.Add(point.Precision);
                x.Add(point.Recall);
                y.Add(point.Precision);
            }

            var lines = new List<LineData> { new("precision", HistoryPlot.TrainColor, x, y, Markers: false) };
            if (curve.LastOrDefault(p => p.Threshold >= predictions.Thresholds[c]) is { } chosen)
            {
                lines.Add(new LineData("at threshold", HistoryPlot.ValidationColor, [chosen.Recall], [chosen.Precision]));
            }

            var title = string.Create(CultureInfo.InvariantCulture, $"{report.Labels[c].Name} (AP {report.Labels[c].AveragePrecision:F3})");
            LinePanel.Draw(canvas, new PixelRect((k % Columns) * Width, (k / Columns) * Height, Width, Height), title, "recall", "precision", unit, unit, lines);
        }

        return PngFile.Encode(surface);
    }

    internal static byte[] RenderConfusionMatrices(MultiLabelPredictionSet predictions, int maxLabels = 48)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLabels, 1);
        var report = predictions.Report();
        var labels = Chosen(report.Labels.Select(l => l.F1).ToList(), maxLabels);
        const int Width = 220, Height = 190, Cell = 56;
        var rows = Math.Max(1, (labels.Count + Columns - 1) / Columns);
        using var surface = SKSurface.Create(new SKImageInfo(Columns * Width, rows * Height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var frame = new SKPaint { Color = new SKColor(90, 90, 90), Style = SKPaintStyle.Stroke, IsAntialias = false };
        for (var k = 0; k < labels.Count; k++)
        {
            var label = report.Labels[labels[k]];
            var (left, top) = ((k % Columns) * Width, (k / Columns) * Height);
            PngFile.DrawText(canvas, label.Name, left + (Width / 2f), top + 20, 14, SKColors.Black, SKTextAlign.Center);
            var m = label.Matrix;
            long[,] counts = { { m.TrueNegatives, m.FalsePositives }, { m.FalseNegatives, m.TruePositives } };
            var cellsLeft = left + 70;
            var cellsTop = top + 44;
            PngFile.DrawText(canvas, "predicted no / yes", cellsLeft + Cell, cellsTop - 6, 11, SKColors.DimGray, SKTextAlign.Center);
            for (var r = 0; r < 2; r++)
            {
                var rowTotal = Math.Max(1, counts[r, 0] + counts[r, 1]);
                PngFile.DrawText(canvas, r == 0 ? "true no" : "true yes", cellsLeft - 6, cellsTop + (r * Cell) + (Cell / 2f) + 4, 11, SKColors.DimGray, SKTextAlign.Right);
                for (var col = 0; col < 2; col++)
                {
                    // Shaded by the share of the true row, as a normalised confusion matrix.
                    var share = counts[r, col] / (double)rowTotal;
                    var shade = (byte)(255 - (share * 200));
                    using var fill = new SKPaint { Color = r == col ? new SKColor(shade, shade, 255) : new SKColor(255, shade, shade), Style = SKPaintStyle.Fill };
                    var (x, y) = (cellsLeft + (col * Cell), cellsTop + (r * Cell));
                    canvas.DrawRect(x, y, Cell, Cell, fill);
                    canvas.DrawRect(x, y, Cell, Cell, frame);
                    PngFile.DrawText(canvas, counts[r, col].ToString("N0", CultureInfo.InvariantCulture), x + (Cell / 2f), y + (Cell / 2f) + 5, 13, SKColors.Black, SKTextAlign.Center);
                }
            }

            PngFile.DrawText(canvas, string.Create(CultureInfo.InvariantCulture, $"F1 {label.F1:F3}, threshold {predictions.Thresholds[labels[k]]:0.###}"), left + (Width / 2f), cellsTop + (2 * Cell) + 20, 11, SKColors.Black, SKTextAlign.Center);
        }

        return PngFile.Encode(surface);
    }

    internal static byte[] RenderTopLosses(MultiLabelPredictionSet predictions, IImageDataset dataset, int count = 16)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(dataset);
        const int Cell = 200, Picture = 112, Top = 40;
        var samples = predictions.TopLosses(count);
        var rows = Math.Max(1, (samples.Count + Columns - 1) / Columns);
        using var surface = SKSurface.Create(new SKImageInfo(Columns * Cell, Top + (rows * (Cell - 20))));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        const string Title = "Top losses (label sets most wrong)";
        PngFile.DrawText(canvas, samples.Count == 0 ? $"{Title}: none" : Title, Columns * Cell / 2f, 26, 16, SKColors.Black, SKTextAlign.Center);
        string Names(IEnumerable<int> labels) => labels.Any() ? string.Join(", ", labels.Select(c => predictions.ClassNames[c])) : "none";
        for (var k = 0; k < samples.Count; k++)
        {
            var i = samples[k];
            var (x, y) = ((k % Columns) * Cell, Top + ((k / Columns) * (Cell - 20)));
            using (var image = dataset.Read(predictions.Indices[i]))
            using (var bitmap = PredictionGridPlot.ToBitmap(image.Image))
            using (var picture = SKImage.FromBitmap(bitmap))
            using (var paint = new SKPaint())
            {
                canvas.DrawImage(picture, SKRect.Create(x + ((Cell - Picture) / 2f), y + 4, Picture, Picture), new SKSamplingOptions(SKFilterMode.Nearest), paint);
            }

            PngFile.DrawText(canvas, Shorten($"true: {Names(predictions.TrueLabels(i))}"), x + (Cell / 2f), y + Picture + 20, 11, SKColors.Black, SKTextAlign.Center);
            PngFile.DrawText(canvas, Shorten($"pred: {Names(predictions.PredictedLabels(i))}"), x + (Cell / 2f), y + Picture + 36, 11, new SKColor(200, 0, 0), SKTextAlign.Center);
        }

        return PngFile.Encode(surface);
    }

    private static string Shorten(string text) => text.Length <= 34 ? text : text[..33] + "…";

    // The labels to draw, in label order: all of them, or the worst by the given value.
    private static List<int> Chosen(IReadOnlyList<double> values, int maxLabels) =>
        [.. Enumerable.Range(0, values.Count).OrderBy(c => values[c]).ThenBy(c => c).Take(maxLabels).Order()];
}
