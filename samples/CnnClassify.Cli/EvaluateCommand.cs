using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using CnnClassify.Data;
using CnnClassify.Evaluation;
using CnnClassify.Models;
using CnnClassify.Reporting;
using CnnClassify.Training;

namespace CnnClassify.Cli;

/// <summary><c>evaluate</c>: scores a checkpoint on a dataset's test split and writes the reports and predictions.csv.</summary>
internal static class EvaluateCommand
{
    public static Command Create(TextWriter output)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint written by train.", Required = true };
        var dataset = new Option<string?>("--dataset") { Description = "fashion-mnist, mnist, cifar10, imagefolder or csv (implied by --labels)." };
        var table = new LabelTableArguments();
        var data = new Option<string?>("--data") { Description = "Dataset folder." };
        var valSplit = new Option<double>("--val-split") { Description = "As given to train, to reproduce an imagefolder's held-out test split.", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<int>("--seed") { Description = "As given to train.", DefaultValueFactory = _ => 0 };
        var outDir = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var followLinks = new Option<bool>("--follow-links") { Description = "Follow links in an image folder that lead outside it (links back into it are always refused)." };
        var testTime = new TestTimeArguments();
        var command = new Command("evaluate", "Evaluate a checkpoint; writes report.txt, metrics.json, confusion_matrix.png (for a multi-label model precision_recall.png and label_confusion.png), top_losses.png, top_losses_heatmaps.png, predictions.csv and report.html.")
        {
            checkpoint, dataset, data, valSplit, seed, outDir, followLinks,
        };
        foreach (var option in table.All.Where(o => o != table.TestLabels && o != table.MultiLabel).Concat(testTime.All))
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(checkpoint)!;
            var directory = CliApp.OutputFolder(parse.GetValue(outDir)!);
            using var model = Checkpoint.LoadModel(path);
            var configuration = model.Configuration;
            var warnings = new WarningLogger(output);
            var inference = new Runtime.InferenceOptions { TestTimeAugmentation = testTime.For(parse, configuration) };
            if (parse.GetValue(table.Labels) is { } labels)
            {
                EvaluateTable(parse, table, labels, path, model, directory, warnings, inference, output);
                return 0;
            }

            if (parse.GetValue(dataset) is not { } datasetName)
            {
                throw new UsageException("Give --dataset (fashion-mnist, mnist, cifar10, imagefolder) or --labels FILE, a table of image paths and labels.");
            }

            if (configuration.Task != Inference.TaskNames.SingleLabel)
            {
                throw new UsageException($"The checkpoint is {configuration.Task}; evaluate it on a label table (--labels FILE).");
            }

            var loaded = await CliData.LoadAsync(datasetName, parse.GetValue(data), parse.GetValue(valSplit), parse.GetValue(seed), configuration.InputHeight, warnings, configuration.Preprocessing, configuration.Preprocessing.ApplyExifOrientation, parse.GetValue(followLinks)).ConfigureAwait(false);
            if (warnings.Count > 0)
            {
                output.WriteLine($"{warnings.Count} data warning(s) above; skipped files are left out of the evaluation.");
            }

            if (!loaded.Classes.SequenceEqual(configuration.ClassNames))
            {
                throw new InvalidDataException($"The dataset's classes [{string.Join(", ", loaded.Classes)}] differ from the checkpoint's [{string.Join(", ", configuration.ClassNames)}].");
            }

            var test = new DataLoader(loaded.Test, configuration.EvalTransform(), new DataLoaderOptions { BatchSize = 256, Logger = warnings });
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var predictions = PredictionSet.Collect(model, test, options: inference);
            var loss = predictions.Samples.Average(s => s.Loss);
            var run = new RunReport($"cnnclassify evaluate: {Path.GetFileName(path)} on {parse.GetValue(dataset)}") { Model = configuration, History = Checkpoint.ReadHistory(path) }
                .Add("Data", "Checkpoint", Path.GetFullPath(path))
                .Add("Data", "Dataset", parse.GetValue(dataset)!)
                .Add("Data", "Test images", loaded.Test.Count.ToString("N0", CultureInfo.InvariantCulture))
                .Add("Data", "Test-time augmentation", TestTimeDescription(inference))
                .AddTiming("Test evaluation", clock.Elapsed);
            Reports.Write(directory, predictions, loaded.Test, loss, Extra(path, inference), run, model, output);
            Reports.WritePredictions(Path.Combine(directory, "predictions.csv"), predictions);
            output.WriteLine(CliApp.Printable(predictions.Report().ToString()));
            output.WriteLine($"test accuracy {predictions.Accuracy.ToString("P2", CultureInfo.InvariantCulture)} on {predictions.Samples.Count} images{TestTimeSuffix(inference)}; outputs in {directory}");
            return 0;
        });
        return command;
    }

    /// <summary>Evaluates on every row of a label table, read with the checkpoint's classes and task.</summary>
    private static void EvaluateTable(System.CommandLine.ParseResult parse, LabelTableArguments table, string labels, string path, ClassificationModel model, string directory, WarningLogger warnings, Runtime.InferenceOptions inference, TextWriter output)
    {
        var configuration = model.Configuration;
        var multiLabel = configuration.Task == Inference.TaskNames.MultiLabel;
        var decode = configuration.Preprocessing.ResizeSize is { } side ? DecodeSize.ShortSide(side) : DecodeSize.Box(configuration.InputHeight, configuration.InputWidth);
        var options = table.Options(parse, warnings, decode, configuration.Preprocessing.ApplyExifOrientation) with
        {
            Classes = configuration.ClassNames,
            MultiLabel = multiLabel,
            ColorMode = configuration.ColorMode,
        };
        var data = LabeledImageDataset.FromCsv(labels, options);
        if (warnings.Count > 0)
        {
            output.WriteLine($"{warnings.Count} data warning(s) above; the rows named are left out of the evaluation.");
        }

        var test = new DataLoader(data, configuration.EvalTransform(), new DataLoaderOptions { BatchSize = 256, Logger = warnings });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = new RunReport($"cnnclassify evaluate: {Path.GetFileName(path)} on {Path.GetFileName(labels)}") { Model = configuration, History = Checkpoint.ReadHistory(path) }
            .Add("Data", "Checkpoint", Path.GetFullPath(path))
            .Add("Data", "Label table", Path.GetFullPath(labels))
            .Add("Data", "Test images", data.Count.ToString("N0", CultureInfo.InvariantCulture))
            .Add("Data", "Test-time augmentation", TestTimeDescription(inference));
        var extra = Extra(path, inference);
        if (multiLabel)
        {
            var predictions = MultiLabelPredictionSet.Collect(model, test, options: inference);
            run.AddTiming("Test evaluation", clock.Elapsed);
            var report = Reports.WriteMultiLabel(directory, predictions, data, extra, run, model, output);
            output.WriteLine($"test mAP {report.MeanAveragePrecision.ToString("F4", CultureInfo.InvariantCulture)} on {predictions.Count} images{TestTimeSuffix(inference)}; outputs in {directory}");
        }
        else
        {
            var predictions = PredictionSet.Collect(model, test, options: inference);
            run.AddTiming("Test evaluation", clock.Elapsed);
            Reports.Write(directory, predictions, data, predictions.Samples.Average(s => s.Loss), extra, run, model, output);
            Reports.WritePredictions(Path.Combine(directory, "predictions.csv"), predictions);
            output.WriteLine(CliApp.Printable(predictions.Report().ToString()));
            output.WriteLine($"test accuracy {predictions.Accuracy.ToString("P2", CultureInfo.InvariantCulture)} on {predictions.Samples.Count} images{TestTimeSuffix(inference)}; outputs in {directory}");
        }
    }

    private static string TestTimeDescription(Runtime.InferenceOptions inference) => inference.TestTimeAugmentation?.Description ?? "none";

    private static string TestTimeSuffix(Runtime.InferenceOptions inference) => inference.TestTimeAugmentation is { } tta ? $" with {tta.Description}" : string.Empty;

    private static JsonObject Extra(string path, Runtime.InferenceOptions inference) => new()
    {
        ["checkpoint"] = Path.GetFullPath(path),
        ["test_time_augmentation"] = inference.TestTimeAugmentation?.Description,
    };
}
