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
        WriteText(Path.Combine(directory, "metrics.json"), metrics.ToJsonString(new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
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

    private static string Csv(string value) => value.Contains(',', StringComparison.Ordinal) || value.Contains('"', StringComparison.Ordinal)
        ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\""
        : value;
}
