using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CnnClassify.Data;
using CnnClassify.Evaluation;
using CnnClassify.Evaluation.Plots;
using CnnClassify.Explanation;
using CnnClassify.Models;
using CnnClassify.Reporting;
using CnnClassify.Runtime;
using CnnClassify.Serialization;

namespace CnnClassify.Cli;

/// <summary>The report files that train and evaluate write.</summary>
internal static class Reports
{
    /// <summary>
    /// Writes report.txt, confusion_matrix.png, top_losses.png, top_losses_heatmaps.png (when the
    /// model has a layer to map), metrics.json and <paramref name="run"/> as report.html.
    /// </summary>
    public static void Write(string directory, PredictionSet predictions, IImageDataset test, double testLoss, JsonObject extra, RunReport run, ClassificationModel model, TextWriter output)
    {
        run.AddEvaluation(predictions, test, testLoss);
        try
        {
            var mapper = new ClassActivationMapper(model);
            HeatmapPlot.SaveTopLosses(predictions, test, mapper, model.Configuration, Path.Combine(directory, "top_losses_heatmaps.png"));
            run.AddHeatmaps(model, model.Configuration);
        }
        catch (ArgumentException ex)
        {
            output.WriteLine($"note: no heatmaps: {ex.Message}");
        }

        run.Save(Path.Combine(directory, "report.html"));
        Directory.CreateDirectory(directory);
        var report = predictions.Report();
        WriteText(Path.Combine(directory, "report.txt"), report.ToString());
        ConfusionMatrixPlot.Save(report.Matrix, Path.Combine(directory, "confusion_matrix.png"));
        PredictionGridPlot.SaveTopLosses(predictions, test, Path.Combine(directory, "top_losses.png"));

        var metrics = new JsonObject
        {
            ["test_accuracy"] = predictions.Accuracy,
            ["test_top5_accuracy"] = predictions.TopKAccuracy(5),
            ["test_loss"] = testLoss,
        };
        foreach (var (key, value) in extra)
        {
            metrics[key] = value?.DeepClone();
        }

        metrics["per_class"] = new JsonObject(report.Classes.Select(c => KeyValuePair.Create(c.Name, (JsonNode?)new JsonObject
        {
            ["precision"] = c.Precision,
            ["recall"] = c.Recall,
            ["f1"] = c.F1,
            ["support"] = c.Support,
        })));
        var confused = report.Matrix.MostConfused();
        metrics["most_confused"] = new JsonArray([.. confused.Take(20).Select(p => (JsonNode)new JsonObject { ["true"] = p.Actual, ["predicted"] = p.Predicted, ["count"] = p.Count })]);
        if (confused.Count > 0)
        {
            output.WriteLine(CliApp.Printable($"most confused: {string.Join(", ", confused.Take(5).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Actual} as {p.Predicted} {p.Count} ({p.ShareOfActual:P1})")))}"));
        }

        WriteText(Path.Combine(directory, "metrics.json"), metrics.ToJsonString(new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
    }

    /// <summary>
    /// Writes a multi-label evaluation: report.txt (the per-label table), metrics.json (every metric
    /// of <see cref="MultiLabelReport"/>, with the thresholds), predictions.csv (each image's true
    /// and predicted labels and probabilities), precision_recall.png, label_confusion.png,
    /// top_losses.png, top_losses_heatmaps.png (when the model has a layer to map) and
    /// <paramref name="run"/> as report.html.
    /// </summary>
    /// <returns>The report.</returns>
    public static MultiLabelReport WriteMultiLabel(string directory, MultiLabelPredictionSet predictions, IImageDataset test, JsonObject extra, RunReport run, ClassificationModel model, TextWriter output)
    {
        Directory.CreateDirectory(directory);
        var report = predictions.Report();
        var testLoss = predictions.Count == 0 ? double.NaN : Enumerable.Range(0, predictions.Count).Average(predictions.Loss);
        run.AddEvaluation(predictions, test, testLoss);
        try
        {
            HeatmapPlot.SaveTopLosses(predictions, test, new ClassActivationMapper(model), model.Configuration, Path.Combine(directory, "top_losses_heatmaps.png"));
            run.AddHeatmaps(model, model.Configuration);
        }
        catch (ArgumentException ex)
        {
            output.WriteLine($"note: no heatmaps: {ex.Message}");
        }

        run.Save(Path.Combine(directory, "report.html"));
        WriteText(Path.Combine(directory, "report.txt"), report.ToString());
        var metrics = new JsonObject
        {
            ["task"] = model.Configuration.Task,
            ["test_loss"] = testLoss,
            ["test_samples"] = predictions.Count,
        };
        foreach (var (key, value) in report.ToJson(predictions.Thresholds))
        {
            metrics[key] = value?.DeepClone();
        }

        foreach (var (key, value) in extra)
        {
            metrics[key] = value?.DeepClone();
        }

        WriteText(Path.Combine(directory, "metrics.json"), metrics.ToJsonString(new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        WriteMultiLabelPredictions(Path.Combine(directory, "predictions.csv"), predictions, test);
        MultiLabelPlots.SavePrecisionRecall(predictions, Path.Combine(directory, "precision_recall.png"));
        MultiLabelPlots.SaveConfusionMatrices(predictions, Path.Combine(directory, "label_confusion.png"));
        MultiLabelPlots.SaveTopLosses(predictions, test, Path.Combine(directory, "top_losses.png"));
        output.WriteLine(CliApp.Printable(report.ToString()));
        return report;
    }

    /// <summary>One row per image: its dataset index, file, true and predicted labels (separated by <c>;</c>) and every label's probability.</summary>
    public static void WriteMultiLabelPredictions(string path, MultiLabelPredictionSet predictions, IImageDataset test)
    {
        var text = new StringBuilder("index,image,true,predicted");
        foreach (var name in predictions.ClassNames)
        {
            text.Append(',').Append(Csv($"p_{name}"));
        }

        text.Append('\n');
        for (var i = 0; i < predictions.Count; i++)
        {
            var index = predictions.Indices[i];
            text.Append(index.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(Csv(FileOf(test, index) ?? string.Empty)).Append(',')
                .Append(Csv(string.Join(';', predictions.TrueLabels(i).Select(c => predictions.ClassNames[c])))).Append(',')
                .Append(Csv(string.Join(';', predictions.PredictedLabels(i).Select(c => predictions.ClassNames[c]))));
            foreach (var p in predictions.Probabilities(i))
            {
                text.Append(',').Append(p.ToString("R", CultureInfo.InvariantCulture));
            }

            text.Append('\n');
        }

        WriteText(path, text.ToString());
    }

    public static void WritePredictions(string path, PredictionSet predictions)
    {
        var text = new StringBuilder("index,true,predicted,confidence\n");
        foreach (var sample in predictions.Samples)
        {
            text.Append(CultureInfo.InvariantCulture, $"{sample.Index},{Csv(predictions.ClassNames[sample.Target])},{Csv(predictions.ClassNames[sample.Predicted])},{sample.Confidence.ToString("R", CultureInfo.InvariantCulture)}\n");
        }

        WriteText(path, text.ToString());
    }

    public static void WriteText(string path, string text) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });

    private static string? FileOf(IImageDataset data, int index) => data switch
    {
        LabeledImageDataset table => table.Files[index],
        ImageFolderDataset folder => folder.Files[index],
        Subset subset => FileOf(subset.Source, subset.Indices[index]),
        _ => null,
    };

    private static string Csv(string value) => value.AsSpan().IndexOfAny(",\"\r\n") >= 0
        ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\""
        : value;
}
