using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CnnClassify.Cli;
using CnnClassify.Data;
using CnnClassify.Inference;
using CnnClassify.Models;
using CnnClassify.Onnx;
using CnnClassify.Training;
using MultiLabel;
using Xunit.Abstractions;

namespace CnnClassify.Tests.MultiLabel;

/// <summary>
/// Multi-label classification through the whole chain, as a user runs it: Fashion-MNIST mosaics
/// from CSV tables, <c>cnnclassify train</c>, metrics checked against scikit-learn, thresholds in
/// the checkpoint and the ONNX file, and both predictors agreeing.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class MultiLabelTrainingTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-multilabel-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public async Task Training_from_a_csv_of_fashion_mosaics_reaches_a_test_mAP_of_0_9_with_metrics_equal_to_scikit_learn_and_thresholds_that_travel_to_onnx()
    {
        string fashion;
        try
        {
            fashion = await new DatasetLocator().LocateAsync(MnistVariant.FashionMnist, download: false);
        }
        catch (FileNotFoundException ex) when (!PythonProcess.InRoot)
        {
            Skip.If(true, $"Fashion-MNIST is not installed: {ex.Message}");
            return;
        }

        using (var train = MnistDataset.Load(fashion, train: true, MnistVariant.FashionMnist))
        using (var test = MnistDataset.Load(fashion, train: false, MnistVariant.FashionMnist))
        {
            FashionMosaics.Write(train, _dir, "train", 3000, seed: 1);
            FashionMosaics.Write(test, _dir, "test", 600, seed: 2);
        }

        // A small translation-invariant CNN (global max pooling), described in a file as the builder writes it.
        var description = Path.Combine(_dir, "mosaic-cnn.json");
        using (var model = CnnBuilder.Input(3, 56, 56)
            .ConvBlock(32, 3).MaxPool(2).ConvBlock(64, 3).MaxPool(2).ConvBlock(128, 3).MaxPool(2).ConvBlock(128, 3)
            .GlobalMaxPool().Dense(10).Build())
        {
            File.WriteAllText(description, model.Configuration.ToJson().ToJsonString());
        }

        var run = Path.Combine(_dir, "run");
        var (code, text, error) = await Cli("train", "--model", description, "--labels", Path.Combine(_dir, "train.csv"), "--test-labels", Path.Combine(_dir, "test.csv"),
            "--epochs", "8", "--batch-size", "32", "--lr", "3e-3", "--scheduler", "onecycle", "--amp", "none", "--seed", "0", "--out", run);
        output.WriteLine(text);
        Assert.True(code == 0, $"exit {code}: {error}");

        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!;
        var map = metrics["mean_average_precision"]!.GetValue<double>();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test mAP {map:F4} on {metrics["test_samples"]} mosaics; {metrics["cpu"]}, {metrics["cpu_capability"]}"));
        Assert.Equal("multi-label", metrics["task"]!.GetValue<string>());
        Assert.True(map >= 0.90, $"test mAP {map:F4}");

        // Every metric against scikit-learn on the same probabilities and decisions.
        ScikitLearnReference.AssertAgrees(run, atLeast: 80);

        // The thresholds chosen on validation are the checkpoint's, the ONNX file's and the report's.
        var best = Path.Combine(run, "best.ckpt");
        var thresholds = Checkpoint.ReadConfiguration(best).Thresholds;
        Assert.NotNull(thresholds);
        Assert.Contains(thresholds, t => t != TaskNames.DefaultThreshold);
        var classes = Checkpoint.ReadConfiguration(best).ClassNames;
        Assert.Equal(thresholds, classes.Select(c => metrics["per_label"]![c]!["threshold"]!.GetValue<double>()));
        var onnx = Path.Combine(_dir, "model.onnx");
        (code, _, error) = await Cli("export", "--checkpoint", best, "--out", onnx);
        Assert.True(code == 0, error);
        using var deployed = new OnnxPredictor(onnx);
        Assert.Equal(TaskNames.MultiLabel, deployed.Description.Task);
        Assert.Equal(thresholds, deployed.Description.Thresholds);

        // Both predictors give the same label sets and probabilities.
        var images = Directory.GetFiles(Path.Combine(_dir, "images"), "test*.png").Order(StringComparer.Ordinal).Take(64).ToList();
        // In float32 like ONNX Runtime: the predictor's default, Auto, runs bf16 on a CPU with native bf16.
        using var predictor = Predictor.FromCheckpoint(best, new PredictorOptions { Precision = CnnClassify.Runtime.Precision.Fp32 });
        var fromCheckpoint = predictor.PredictBatch(images);
        var fromOnnx = deployed.PredictBatch(images);
        for (var i = 0; i < images.Count; i++)
        {
            Assert.Equal(fromCheckpoint[i].Labels.Select(l => l.Name), fromOnnx[i].Labels.Select(l => l.Name));
            TensorAssert.Close(fromCheckpoint[i].Probabilities, fromOnnx[i].Probabilities, 1e-5);
        }

        Assert.Contains(fromCheckpoint, p => p.Labels.Count >= 2);
        Assert.Contains(fromCheckpoint, p => p.Labels.Count == 0);

        // The reports a user opens, and one heatmap per predicted label.
        foreach (var file in new[] { "report.html", "report.txt", "predictions.csv", "precision_recall.png", "label_confusion.png", "top_losses.png", "top_losses_heatmaps.png", "history.png" })
        {
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        }

        Assert.Contains("Per-label metrics", File.ReadAllText(Path.Combine(run, "report.html")), StringComparison.Ordinal);
        var history = File.ReadAllLines(Path.Combine(run, "history.csv"));
        Assert.Equal($"{History.CsvHeader},{History.MultiLabelCsvColumns}", history[0]);
        Assert.Equal(9, history.Length);
        var lastMap = double.Parse(history[^1].Split(',')[^5], CultureInfo.InvariantCulture);
        Assert.Equal(Checkpoint.ReadHistory(Path.Combine(run, "last.ckpt")).Epochs[^1].ValidationMeanAveragePrecision!.Value, lastMap, 12);
        var several = images.First(i => fromCheckpoint[images.IndexOf(i)].Labels.Count >= 2);
        (code, text, error) = await Cli("explain", "--checkpoint", best, "--out", Path.Combine(_dir, "explained.png"), several);
        Assert.True(code == 0, error);
        Assert.Equal(fromCheckpoint[images.IndexOf(several)].Labels.Select(l => $"map of {l.Name}").Order(), text.Split('\n').Where(l => l.Contains("map of", StringComparison.Ordinal)).Select(l => l[l.IndexOf("map of", StringComparison.Ordinal)..l.IndexOf(" (p =", StringComparison.Ordinal)]).Order());

        // predict --json lists the same labels.
        (code, text, error) = await Cli("predict", "--checkpoint", best, "--json", images[0], images[1]);
        Assert.True(code == 0, error);
        var printed = JsonNode.Parse(text)!.AsArray();
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(fromCheckpoint[i].Labels.Select(l => l.Name), printed[i]!["labels"]!.AsArray().Select(l => l!["class"]!.GetValue<string>()));
        }
    }

    private static async Task<(int Code, string Output, string Error)> Cli(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
