using CnnClassify.Evaluation;
using CnnClassify.Evaluation.Plots;
using CnnClassify.Tests.Training;
using CnnClassify.Training;
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
        HistoryPlot.Save(history, path, panelWidth: 400, height: 300);

        var (width, height, std, titleInk) = Inspect(path);
        Assert.Equal((1200, 300), (width, height));
        Assert.True(new FileInfo(path).Length > 10_000, $"only {new FileInfo(path).Length} bytes");
        Assert.True(std > 10, $"pixel std {std}");
        Assert.True(titleInk > 20, "the panel titles are not drawn");
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
