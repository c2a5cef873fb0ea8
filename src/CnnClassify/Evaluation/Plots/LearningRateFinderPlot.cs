using CnnClassify.Training;
using SkiaSharp;

namespace CnnClassify.Evaluation.Plots;

/// <summary>
/// Draws a learning-rate range test as fastai does: the smoothed loss against the rate on a log
/// axis, with each suggestion (valley, steepest, minimum/10) as a vertical line named with its
/// rate in the legend below the axes.
/// </summary>
public static class LearningRateFinderPlot
{
    private static readonly SKColor[] SuggestionColors = [new(214, 39, 40), new(44, 160, 44), new(148, 103, 189)];

    /// <summary>Writes the PNG.</summary>
    /// <param name="result">The range test's outcome, with at least two steps.</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <returns>Where the data, ticks, lines and legend were drawn.</returns>
    public static PlotPanel Save(LearningRateFinderResult result, string path, int width = 640, int height = 440)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (png, panel) = Render(result, width, height);
        PngFile.Write(path, png);
        return panel;
    }

    /// <summary>Draws the plot and encodes it as PNG.</summary>
    internal static (byte[] Png, PlotPanel Panel) Render(LearningRateFinderResult result, int width = 640, int height = 440)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 320);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 240);
        if (result.LearningRates.Count < 2)
        {
            throw new ArgumentException("The range test recorded fewer than two steps; there is no curve to draw.", nameof(result));
        }

        var rates = result.LearningRates;
        var suggested = result.Suggestions.Select(s => s.Suggestion.LearningRate);
        var x = AxisRange.Values([.. rates, .. suggested], AxisRange.Scientific, logRatio: 1);
        var finite = result.Losses.Where(double.IsFinite).ToList();
        // The y range of the curve up to its lowest point and a little past it, so the divergence at the end does not flatten it.
        var y = AxisRange.Values(finite.Count > 0 ? [.. finite.Where(l => l <= finite[0] * 1.5), finite.Min()] : finite);
        var lines = new List<LineData> { new("smoothed loss", HistoryPlot.TrainColor, rates, result.Losses, Markers: false) };
        foreach (var ((name, suggestion), color) in result.Suggestions.Zip(SuggestionColors))
        {
            lines.Add(new LineData($"{name} {AxisRange.Scientific(suggestion.LearningRate)}", color, [suggestion.LearningRate, suggestion.LearningRate], [y.Minimum, y.Maximum], Markers: false));
        }

        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        surface.Canvas.Clear(SKColors.White);
        var panel = LinePanel.Draw(surface.Canvas, new PixelRect(0, 0, width, height), "Learning-rate range test", "learning rate (log scale)", "smoothed loss", x, y, lines);
        return (PngFile.Encode(surface), panel);
    }
}
