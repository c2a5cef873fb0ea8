using CnnClassify.Training;
using SkiaSharp;

namespace CnnClassify.Evaluation.Plots;

/// <summary>
/// Draws a training history as one PNG with three panels: loss and accuracy per epoch (train
/// against validation) and the learning rate, on a log scale when it spans more than a factor
/// of ten. Epoch ticks are whole numbers, and legends sit below the axes, never over a line.
/// </summary>
public static class HistoryPlot
{
    /// <summary>The colour of training curves.</summary>
    internal static readonly SKColor TrainColor = new(31, 119, 180);

    /// <summary>The colour of validation curves.</summary>
    internal static readonly SKColor ValidationColor = new(230, 110, 10);

    /// <summary>Writes the PNG.</summary>
    /// <param name="history">The history, with at least one epoch.</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="panelWidth">Width of each panel in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <returns>Where each panel's data, ticks and legend were drawn.</returns>
    /// <exception cref="ArgumentException">The history is empty, or the size is too small to draw in.</exception>
    public static IReadOnlyList<PlotPanel> Save(History history, string path, int panelWidth = 480, int height = 400)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (png, panels) = Render(history, panelWidth, height);
        PngFile.Write(path, png);
        return panels;
    }

    /// <summary>Draws the plot and encodes it as PNG.</summary>
    internal static (byte[] Png, IReadOnlyList<PlotPanel> Panels) Render(History history, int panelWidth = 480, int height = 400)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentOutOfRangeException.ThrowIfLessThan(panelWidth, 240);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 200);
        if (history.Epochs.Count == 0)
        {
            throw new ArgumentException("The history has no epochs to plot.", nameof(history));
        }

        var epochs = history.Epochs.Select(e => (double)(e.Epoch + 1)).ToArray();
        var hasValidation = history.Epochs.All(e => e.ValidationLoss is not null);
        var x = AxisRange.Integers(epochs.Min(), epochs.Max());

        var trainLoss = history.Epochs.Select(e => e.TrainLoss).ToArray();
        var trainAccuracy = history.Epochs.Select(e => e.TrainAccuracy).ToArray();
        var loss = new List<LineData> { new("train", TrainColor, epochs, trainLoss) };
        var accuracy = new List<LineData> { new("train", TrainColor, epochs, trainAccuracy) };
        if (hasValidation)
        {
            loss.Add(new LineData("validation", ValidationColor, epochs, history.Epochs.Select(e => e.ValidationLoss!.Value).ToArray()));
            accuracy.Add(new LineData("validation", ValidationColor, epochs, history.Epochs.Select(e => e.ValidationAccuracy!.Value).ToArray()));
        }

        var rates = history.Epochs.Select(e => e.LearningRate).ToArray();
        var learningRate = new List<LineData> { new("learning rate", TrainColor, epochs, rates) };

        using var surface = SKSurface.Create(new SKImageInfo(panelWidth * 3, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        var panels = new[]
        {
            LinePanel.Draw(canvas, new PixelRect(0, 0, panelWidth, height), "Loss", "epoch", "loss", x, AxisRange.Values(loss.SelectMany(l => l.Y).ToList()), loss),
            LinePanel.Draw(canvas, new PixelRect(panelWidth, 0, panelWidth, height), "Accuracy", "epoch", "accuracy", x, AxisRange.Values(accuracy.SelectMany(l => l.Y).ToList(), AxisRange.Percent), accuracy),
            LinePanel.Draw(canvas, new PixelRect(2 * panelWidth, 0, panelWidth, height), "Learning rate", "epoch", "learning rate (first group)", x, AxisRange.Values(rates, AxisRange.Scientific, logRatio: 10), learningRate),
        };
        return (PngFile.Encode(surface), panels);
    }
}
