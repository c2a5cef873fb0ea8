using CnnClassify.Evaluation;
using CnnClassify.Evaluation.Plots;
using CnnClassify.Tests.Training;
using CnnClassify.Training;
using TorchSharp;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CnnClassify.Tests.Evaluation;

/// <summary>Plots are checked as images: size on disk, dimensions, pixel variance, and text where text belongs.</summary>
public sealed class PlotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-plots-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Width, int Height, double Std, int DarkPixelsInTitle) Inspect(string path)
    {
        using var image = Image.Load<Rgb24>(path);
        var values = new List<double>();
        var dark = 0;
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var p = image[x, y];
                var gray = (p.R + p.G + p.B) / 3.0;
                values.Add(gray);
                dark += y < 36 && gray < 100 ? 1 : 0;
            }
        }

        var mean = values.Average();
        return (image.Width, image.Height, Math.Sqrt(values.Average(v => (v - mean) * (v - mean))), dark);
    }

    [Fact]
    public void The_history_plot_has_three_panels_and_is_not_blank()
    {
        var history = new History();
        for (var epoch = 0; epoch < 5; epoch++)
        {
            history.Add(new EpochMetrics { Epoch = epoch, TrainLoss = 1.0 / (epoch + 1), ValidationLoss = 1.2 / (epoch + 1), TrainAccuracy = 0.5 + (0.08 * epoch), ValidationAccuracy = 0.45 + (0.07 * epoch), LearningRate = 0.1 * Math.Pow(0.5, epoch) });
        }

        var path = Path.Combine(_dir, "history.png");
        var panels = HistoryPlot.Save(history, path, panelWidth: 400, height: 300);

        var (width, height, std, titleInk) = Inspect(path);
        Assert.Equal((1200, 300), (width, height));
        Assert.True(new FileInfo(path).Length > 10_000, $"only {new FileInfo(path).Length} bytes");
        Assert.True(std > 10, $"pixel std {std}");
        Assert.True(titleInk > 20, "the panel titles are not drawn");
        Assert.Equal(["Loss", "Accuracy", "Learning rate"], panels.Select(p => p.Title));
    }

    [Fact]
    public void A_constant_learning_rate_is_labelled_with_its_value_and_epochs_are_whole_numbers()
    {
        using var model = TrainingData.Linear();
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(1e-3)).UseDevice(torch.CPU).Build();
        var history = trainer.Fit(TrainingData.Loader(TrainingData.Separable(48)), TrainingData.Loader(TrainingData.Separable(24, seed: 1)), epochs: 6);
        var path = Path.Combine(_dir, "constant.png");

        var panels = HistoryPlot.Save(history, path);

        using var image = Image.Load<Rgb24>(path);
        var rate = panels[2];
        Assert.Equal(AxisScale.Linear, rate.Y.Scale);
        Assert.True(rate.Y.Ticks.Count >= 3, $"{rate.Y.Ticks.Count} ticks");
        Assert.Equal(rate.Y.Ticks.Count, rate.Y.Ticks.Select(t => t.Label).Distinct().Count());
        var mark = Assert.Single(rate.Y.Ticks, t => Math.Abs(t.Value - 1e-3) < 1e-12);
        Assert.Equal("1e-3", mark.Label);
        // Every point of the flat line sits on the 1e-3 tick, well inside the panel, not on an edge.
        Assert.All(rate.Series[0].Points, p => Assert.InRange(p.Y, mark.Pixel - 1, mark.Pixel + 1));
        Assert.InRange(mark.Pixel, rate.DataArea.Top + (rate.DataArea.Height * 0.2f), rate.DataArea.Bottom - (rate.DataArea.Height * 0.2f));
        AssertTickLabelsAreDrawn(image, rate.Y, vertical: true);

        foreach (var panel in panels)
        {
            Assert.Equal(Enumerable.Range(1, 6).Select(e => (double)e), panel.X.Ticks.Select(t => t.Value));
            Assert.All(panel.X.Ticks, t => Assert.Equal(((int)t.Value).ToString(System.Globalization.CultureInfo.InvariantCulture), t.Label));
            AssertTickLabelsAreDrawn(image, panel.X, vertical: false);
        }
    }

    [Fact]
    public void A_one_cycle_learning_rate_is_drawn_on_a_log_axis_with_labelled_decades()
    {
        using var model = TrainingData.Linear();
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(0.01)).UseSchedule(LearningRateSchedule.OneCycle()).UseDevice(torch.CPU).Build();
        var history = trainer.Fit(TrainingData.Loader(TrainingData.Separable(48)), TrainingData.Loader(TrainingData.Separable(24, seed: 1)), epochs: 8);
        var rates = history.Epochs.Select(e => e.LearningRate).ToList();
        Assert.True(rates.Max() / rates.Min() > 10, "the schedule should span more than a factor of ten");
        var path = Path.Combine(_dir, "one-cycle.png");

        var panels = HistoryPlot.Save(history, path);

        using var image = Image.Load<Rgb24>(path);
        var rate = panels[2];
        Assert.Equal(AxisScale.Log, rate.Y.Scale);
        Assert.True(rate.Y.Ticks.Count >= 3, $"{rate.Y.Ticks.Count} ticks");
        Assert.All(rate.Y.Ticks, t => Assert.Equal(t.Value, double.Parse(t.Label, System.Globalization.CultureInfo.InvariantCulture), 9));
        Assert.InRange(rate.Y.Minimum, 0, rates.Min());
        Assert.InRange(rate.Y.Maximum, rates.Max(), double.MaxValue);
        // Equal ratios are equal distances: the pixel gap between 1eK and 1e(K+1) is the same for every decade.
        var decades = rate.Y.Ticks.Where(t => Math.Abs(Math.Log10(t.Value) - Math.Round(Math.Log10(t.Value))) < 1e-9).ToList();
        Assert.True(decades.Count >= 2);
        var gaps = decades.Zip(decades.Skip(1), (a, b) => a.Pixel - b.Pixel).ToList();
        Assert.All(gaps, g => Assert.Equal(gaps[0], g, 0.5));
        // The curve uses most of the axis: on a linear axis the small rates would all sit on the bottom line.
        var ys = rate.Series[0].Points.Select(p => p.Y).ToList();
        Assert.True(ys.Max() - ys.Min() > rate.DataArea.Height * 0.6, $"the curve spans {ys.Max() - ys.Min()} of {rate.DataArea.Height} pixels");
        AssertTickLabelsAreDrawn(image, rate.Y, vertical: true);
        Assert.All(panels[0].X.Ticks, t => Assert.Equal(Math.Round(t.Value), t.Value));
    }

    [Fact]
    public void Legends_sit_outside_the_data_and_never_cover_a_curve()
    {
        var history = new History();
        for (var epoch = 0; epoch < 12; epoch++)
        {
            // Curves that end in the corners where legends usually go.
            history.Add(new EpochMetrics { Epoch = epoch, TrainLoss = 2.0 - (0.15 * epoch), ValidationLoss = 2.1 - (0.14 * epoch), TrainAccuracy = 0.3 + (0.06 * epoch), ValidationAccuracy = 0.28 + (0.06 * epoch), LearningRate = 0.01 });
        }

        var path = Path.Combine(_dir, "legend.png");
        var panels = HistoryPlot.Save(history, path);

        using var image = Image.Load<Rgb24>(path);
        foreach (var panel in panels.Take(2))
        {
            var legend = Assert.IsType<PixelRect>(panel.Legend);
            Assert.False(legend.Overlaps(panel.DataArea), $"{panel.Title}: the legend overlaps the data area");
            Assert.True(legend.Right <= panel.Area.Right && legend.Bottom <= panel.Area.Bottom);
            foreach (var series in panel.Series)
            {
                Assert.All(series.Points, p => Assert.True(panel.DataArea.Contains((int)p.X, (int)p.Y) && !legend.Contains((int)p.X, (int)p.Y)));
                // The last point is visible in its own colour: nothing is drawn over it.
                var (x, y) = series.Points[^1];
                Assert.True(Near(image[(int)Math.Round(x), (int)Math.Round(y)], series.Color), $"{panel.Title} {series.Name}: last point is {image[(int)Math.Round(x), (int)Math.Round(y)]}");
                // The legend shows the series' colour.
                Assert.True(CountColor(image, legend, series.Color) > 10, $"{panel.Title}: the legend lacks {series.Name}'s swatch");
            }
        }

        Assert.Null(panels[2].Legend);
    }

    [Fact]
    public void The_confusion_matrix_has_axis_titles_and_a_colour_scale()
    {
        var matrix = new ConfusionMatrix([0, 0, 1, 1, 1, 2, 2, 2, 2], [0, 1, 1, 1, 2, 2, 2, 2, 0], ["cat", "dog", "bird"]);
        var path = Path.Combine(_dir, "confusion-axes.png");

        var layout = ConfusionMatrixPlot.Save(matrix, path, cellSize: 60);

        using var image = Image.Load<Rgb24>(path);
        Assert.True(Ink(image, layout.TrueClassTitle) > 40, "no 'True class' title");
        Assert.True(Ink(image, layout.PredictedClassTitle) > 40, "no 'Predicted class' title");
        Assert.False(layout.ColorBar.Overlaps(layout.Cells));
        // The scale runs from white (share 0, bottom) to dark blue (share 1, top), darkening steadily.
        var column = layout.ColorBar.Left + (layout.ColorBar.Width / 2);
        var brightness = Enumerable.Range(1, layout.ColorBar.Height - 2).Select(r => Gray(image[column, layout.ColorBar.Top + r])).ToList();
        Assert.True(brightness[0] < 120 && brightness[^1] > 240, $"scale from {brightness[0]} to {brightness[^1]}");
        Assert.True(brightness.Zip(brightness.Skip(1)).All(p => p.First <= p.Second + 0.5), "the scale is not monotonic");
        Assert.Equal(["0 %", "25 %", "50 %", "75 %", "100 %"], layout.ColorBarTicks.Select(t => t.Label));
        // The most populated cell (bird, bird: 3 of 4) is darker than an empty one (cat, bird).
        Assert.True(Gray(image[layout.Cells.Left + 150, layout.Cells.Top + 130]) < Gray(image[layout.Cells.Left + 150, layout.Cells.Top + 10]));
    }

    private static double Gray(Rgb24 p) => (p.R + p.G + p.B) / 3.0;

    private static bool Near(Rgb24 p, int rgb) =>
        Math.Abs(p.R - ((rgb >> 16) & 255)) < 40 && Math.Abs(p.G - ((rgb >> 8) & 255)) < 40 && Math.Abs(p.B - (rgb & 255)) < 40;

    private static int CountColor(Image<Rgb24> image, PixelRect area, int rgb)
    {
        var count = 0;
        for (var y = area.Top; y < area.Bottom; y++)
        {
            for (var x = area.Left; x < area.Right; x++)
            {
                count += Near(image[x, y], rgb) ? 1 : 0;
            }
        }

        return count;
    }

    private static int Ink(Image<Rgb24> image, PixelRect area)
    {
        var count = 0;
        for (var y = Math.Max(0, area.Top); y < Math.Min(image.Height, area.Bottom); y++)
        {
            for (var x = Math.Max(0, area.Left); x < Math.Min(image.Width, area.Right); x++)
            {
                count += Gray(image[x, y]) < 110 ? 1 : 0;
            }
        }

        return count;
    }

    // Dark text pixels beside every tick, inside the axis's label area.
    private static void AssertTickLabelsAreDrawn(Image<Rgb24> image, PlotAxis axis, bool vertical)
    {
        foreach (var tick in axis.Ticks)
        {
            var box = vertical
                ? new PixelRect(axis.LabelArea.Left, (int)tick.Pixel - 7, axis.LabelArea.Width, 12)
                : new PixelRect((int)tick.Pixel - 8, axis.LabelArea.Top, 16, axis.LabelArea.Height);
            Assert.True(Ink(image, box) > 5, $"no label drawn at the tick {tick.Label}");
        }
    }

    [Fact]
    public void The_confusion_matrix_plot_shows_cells_counts_and_class_names()
    {
        var matrix = new ConfusionMatrix([0, 0, 1, 1, 1, 2, 2, 2, 2], [0, 1, 1, 1, 2, 2, 2, 2, 0], ["cat", "dog", "bird"]);
        var path = Path.Combine(_dir, "confusion.png");

        ConfusionMatrixPlot.Save(matrix, path, cellSize: 60);

        var (width, height, std, titleInk) = Inspect(path);
        Assert.True(width > 3 * 60 && height > 3 * 60);
        Assert.True(new FileInfo(path).Length > 5_000);
        Assert.True(std > 20, $"pixel std {std}");
        Assert.True(titleInk > 50, "the title text is not drawn: is the embedded font missing?");
    }

    [Fact]
    public void Prediction_grids_show_images_with_captions()
    {
        var dataset = TrainingData.Separable(12);
        var predictions = new PredictionSet(
            Enumerable.Range(0, 12).Select(i => i % 4 == 0 ? new[] { 0.1f, 0.1f, 0.8f } : new[] { 0.8f, 0.1f, 0.1f }).ToList(),
            Enumerable.Range(0, 12).Select(i => i % 3).ToList(),
            Enumerable.Range(0, 12).ToList(),
            dataset.Classes);
        var samples = Path.Combine(_dir, "samples.png");
        var losses = Path.Combine(_dir, "top-losses.png");

        PredictionGridPlot.SaveSamples(predictions, dataset, samples, count: 8, columns: 4);
        PredictionGridPlot.SaveTopLosses(predictions, dataset, losses, count: 4, columns: 2);

        var (width, height, std, titleInk) = Inspect(samples);
        Assert.Equal((4 * 160, 40 + (2 * 160)), (width, height));
        Assert.True(std > 20 && titleInk > 50);
        var (lossWidth, lossHeight, lossStd, _) = Inspect(losses);
        Assert.Equal((2 * 160, 40 + (2 * 160)), (lossWidth, lossHeight));
        Assert.True(lossStd > 20);
    }
}
