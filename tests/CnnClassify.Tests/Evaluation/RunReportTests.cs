using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using CnnClassify.Data;
using CnnClassify.Evaluation;
using CnnClassify.Native;
using CnnClassify.Reporting;
using CnnClassify.Runtime;
using CnnClassify.Tests.Training;
using CnnClassify.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;

namespace CnnClassify.Tests.Evaluation;

/// <summary>The run report: its content checked against the run, and the page checked in a real browser.</summary>
public sealed partial class RunReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A short real run on 4x4 images whose class names need escaping in HTML.
    private (string Path, Trainer Trainer, PredictionSet Predictions) WriteReport()
    {
        var names = new[] { "cat <b>", "dog & co", "\"bird\"" };
        var train = TrainingData.Separable(60, classes: names);
        // Some test labels are wrong, so there are top losses to show.
        var test = TrainingData.Separable(30, seed: 2, invertLabels: true, classes: names);
        var model = TrainingData.Conv();
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(0.05)).UseDevice(torch.CPU).Build();
        trainer.Fit(TrainingData.Loader(train), TrainingData.Loader(test), epochs: 3);
        var predictions = PredictionSet.Collect(model, TrainingData.Loader(test, shuffle: false));
        var path = Path.Combine(_dir, "report.html");
        RunReport.For(trainer, "tiny <run>")
            .Add("Data", "Images", "60 train, 30 test")
            .AddTiming("Test evaluation", TimeSpan.FromSeconds(1.25))
            .AddEvaluation(predictions, test, testLoss: 0.5)
            .AddHeatmaps(model, trainer.Configuration)
            .Save(path);
        return (path, trainer, predictions);
    }

    [Fact]
    public void The_report_holds_the_configuration_plots_tables_and_timings_of_the_run()
    {
        var (path, trainer, predictions) = WriteReport();
        var html = File.ReadAllText(path);

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<title>tiny &lt;run&gt;</title>", html);
        foreach (var section in new[] { "configuration", "history", "confusion", "classification", "most-confused", "top-losses", "heatmaps", "timings" })
        {
            Assert.Contains($"<section id=\"{section}\">", html);
        }

        // Recipe and environment.
        Assert.Contains("<th>Optimizer</th><td>adam(lr=0.05)</td>", html);
        Assert.Contains("<th>Precision</th><td>fp32 (asked for)</td>", html);
        Assert.Contains($"<th>LibTorch</th><td>{torch.__version__}</td>", html);
        Assert.Contains($"<th>Threads</th><td>{torch.get_num_threads()} torch threads, {torch.get_num_interop_threads()} inter-op, {Environment.ProcessorCount} logical processors</td>", html);
        Assert.Contains($"<th>CPU capability</th><td>{WebUtility.HtmlEncode(CnnClassify.Native.CpuCapabilities.Current.Describe())}</td>", html);
        Assert.Contains("<th>Images</th><td>60 train, 30 test</td>", html);
        Assert.Contains("<th>Test evaluation</th><td class=\"num\">0:01</td><td class=\"num\">1.2 s</td>", html);

        // One history row per epoch, with the epoch's own numbers.
        foreach (var epoch in trainer.History.Epochs)
        {
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"<tr><td class=\"num\">{epoch.Epoch + 1}</td><td class=\"num\">{epoch.TrainLoss:F4}</td>"), html);
        }

        // The most confused pairs, largest first, as the confusion matrix counts them.
        foreach (var pair in predictions.ConfusionMatrix().MostConfused().Take(10))
        {
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"<tr><th>{WebUtility.HtmlEncode(pair.Actual)}</th><td>{WebUtility.HtmlEncode(pair.Predicted)}</td><td class=\"num\">{pair.Count:N0}</td>"), html);
        }

        // The classification table has scikit-learn's numbers for every class, names escaped.
        var report = predictions.Report();
        foreach (var c in report.Classes)
        {
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"<tr><th>{WebUtility.HtmlEncode(c.Name)}</th><td class=\"num\">{c.Precision:F4}</td><td class=\"num\">{c.Recall:F4}</td><td class=\"num\">{c.F1:F4}</td><td class=\"num\">{c.Support:N0}</td></tr>"), html);
        }

        Assert.DoesNotContain("cat <b>", html);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"<b>{predictions.Accuracy * 100:F2} %</b><span>test accuracy</span>"), html);

        // Four embedded pictures, each a PNG that decodes; nothing is loaded from elsewhere.
        var sources = ImageSource().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(4, sources.Count);
        foreach (var source in sources)
        {
            using var image = Image.Load<Rgb24>(Convert.FromBase64String(source));
            Assert.True(image.Width > 200 && image.Height > 150);
        }

        Assert.DoesNotMatch("(src|href)=\"(?!data:)", html);
        Assert.DoesNotContain("<script", html);
    }

    [SkippableFact]
    public async Task The_report_opens_in_headless_Chromium_with_every_image_loaded_and_no_console_error()
    {
        Skip.If(HeadlessChromium.Executable is null, "Chromium is not installed (eng/run's root has it).");
        var (path, _, _) = WriteReport();

        await using var browser = await HeadlessChromium.StartAsync();
        await browser.NavigateAsync(new Uri(path).AbsoluteUri);

        var images = (await browser.EvaluateAsync("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight, i.alt])"))!.AsArray();
        Assert.Equal(4, images.Count);
        Assert.All(images, i => Assert.True(i![0]!.GetValue<bool>() && i[1]!.GetValue<int>() > 0, $"image '{i![3]}' did not load"));
        Assert.Equal(1440, images[0]![1]!.GetValue<int>());
        Assert.Equal(8, (await browser.EvaluateAsync("document.querySelectorAll('table').length"))!.GetValue<int>());
        Assert.Empty(browser.Problems);

        var screenshot = await browser.ScreenshotAsync();
        File.WriteAllBytes(Path.Combine(_dir, "report.png"), screenshot);
        using var picture = Image.Load<Rgb24>(screenshot);
        Assert.True(picture.Width >= 1000 && picture.Height > 1500, $"screenshot {picture.Width}x{picture.Height}");
        var dark = 0;
        for (var y = 0; y < picture.Height; y += 4)
        {
            for (var x = 0; x < picture.Width; x += 4)
            {
                dark += picture[x, y].R < 100 ? 1 : 0;
            }
        }

        Assert.True(dark > 2000, $"the screenshot looks blank ({dark} dark samples)");
    }

    [GeneratedRegex("<img alt=\"[^\"]*\" src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\">")]
    private static partial Regex ImageSource();
}
