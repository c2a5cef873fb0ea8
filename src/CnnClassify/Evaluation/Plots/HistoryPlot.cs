using CnnClassify.Training;
using SkiaSharp;

namespace CnnClassify.Evaluation.Plots;

/// <summary>
/// Draws a training history as one PNG with three panels: loss and accuracy per epoch (train
/// against validation) and the learning-rate curve.
/// </summary>
public static class HistoryPlot
{
    /// <summary>Writes the PNG.</summary>
    /// <param name="history">The history, with at least one epoch.</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="panelWidth">Width of each panel in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <exception cref="ArgumentException">The history is empty.</exception>
    public static void Save(History history, string path, int panelWidth = 480, int height = 400)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (history.Epochs.Count == 0)
        {
            throw new ArgumentException("The history has no epochs to plot.", nameof(history));
        }

        PlotFonts.EnsureScottPlotFont();
        var epochs = history.Epochs.Select(e => (double)(e.Epoch + 1)).ToArray();
        var hasValidation = history.Epochs.All(e => e.ValidationLoss is not null);
        var panels = new[]
        {
            Panel("Loss", "loss", epochs, history.Epochs.Select(e => e.TrainLoss), hasValidation ? history.Epochs.Select(e => e.ValidationLoss!.Value) : null),
            Panel("Accuracy", "accuracy", epochs, history.Epochs.Select(e => e.TrainAccuracy), hasValidation ? history.Epochs.Select(e => e.ValidationAccuracy!.Value) : null),
            Panel("Learning rate", "learning rate", epochs, history.Epochs.Select(e => e.LearningRate), null),
        };

        using var surface = SKSurface.Create(new SKImageInfo(panelWidth * panels.Length, height));
        surface.Canvas.Clear(SKColors.White);
        for (var i = 0; i < panels.Length; i++)
        {
            using var image = SKImage.FromEncodedData(panels[i].GetImageBytes(panelWidth, height, ScottPlot.ImageFormat.Png));
            surface.Canvas.DrawImage(image, i * panelWidth, 0);
        }

        PngFile.Save(surface, path);
    }

    private static ScottPlot.Plot Panel(string title, string label, double[] epochs, IEnumerable<double> train, IEnumerable<double>? validation)
    {
        var plot = new ScottPlot.Plot();
        var trainLine = plot.Add.Scatter(epochs, train.ToArray());
        if (validation is not null)
        {
            trainLine.LegendText = "train";
            var validationLine = plot.Add.Scatter(epochs, validation.ToArray());
            validationLine.LegendText = "validation";
            plot.ShowLegend();
        }

        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(label);
        return plot;
    }
}
