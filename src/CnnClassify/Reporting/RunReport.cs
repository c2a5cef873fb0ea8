using System.Globalization;
using System.Net;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using CnnClassify.Data;
using CnnClassify.Evaluation;
using CnnClassify.Evaluation.Plots;
using CnnClassify.Models;
using CnnClassify.Runtime;
using CnnClassify.Serialization;
using CnnClassify.Training;
using TorchSharp;

namespace CnnClassify.Reporting;

/// <summary>
/// One self-contained HTML page describing a run: the model, data, recipe and environment, the
/// training history plot, the confusion matrix, the classification report as a table, the top
/// losses with their images (and, when added, heatmaps of where the model looked), and the timings. Images are embedded, and the page loads nothing
/// else and runs no script, so it opens anywhere, offline.
/// </summary>
/// <example><code>
/// var report = RunReport.For(trainer, "Fashion-MNIST");
/// report.AddEvaluation(predictions, test);
/// report.Save("runs/fashion/report.html");
/// </code></example>
public sealed class RunReport
{
    private readonly List<(string Section, string Key, string Value)> _facts = [];
    private readonly List<(string Name, TimeSpan Duration)> _timings = [];
    private (byte[] Png, string Caption)? _heatmaps;

    /// <summary>Creates an empty report with the environment filled in.</summary>
    /// <param name="title">The page title, such as the run's name.</param>
    public RunReport(string title)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Title = title;
        Created = DateTimeOffset.Now;
        foreach (var check in Diagnostics.EnvironmentReport.Machine())
        {
            Add("Environment", check.Name, check.Value);
        }

        Add("Environment", "Machine", Environment.MachineName);
    }

    /// <summary>The page title.</summary>
    public string Title { get; }

    /// <summary>When the report was created.</summary>
    public DateTimeOffset Created { get; }

    /// <summary>The model's description, shown under "Model".</summary>
    public ModelConfiguration? Model { get; set; }

    /// <summary>The training history, drawn as the history plot and a per-epoch table.</summary>
    public History? History { get; set; }

    /// <summary>Test-set predictions, for the confusion matrix, classification report and top losses.</summary>
    public PredictionSet? Predictions { get; set; }

    /// <summary>The dataset <see cref="Predictions"/> were made on, for the top-loss images.</summary>
    public IImageDataset? Dataset { get; set; }

    /// <summary>The test loss, when known.</summary>
    public double? TestLoss { get; set; }

    /// <summary>The facts shown in the configuration tables, in order: section, key, value.</summary>
    public IReadOnlyList<(string Section, string Key, string Value)> Facts => _facts;

    /// <summary>The timings shown, in order.</summary>
    public IReadOnlyList<(string Name, TimeSpan Duration)> Timings => _timings;

    /// <summary>A report of a trainer's run: its model description, history and recipe.</summary>
    /// <param name="trainer">The trainer, after <see cref="Trainer.Fit"/>.</param>
    /// <param name="title">The page title.</param>
    public static RunReport For(Trainer trainer, string title = "Training run")
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var settings = trainer.Settings;
        var report = new RunReport(title) { Model = trainer.Configuration, History = trainer.History };
        report.Add("Recipe", "Optimizer", settings.Optimizer.ToString());
        report.Add("Recipe", "Schedule", settings.Schedule?.GetType().Name.Replace("Schedule", string.Empty, StringComparison.Ordinal) ?? "constant");
        report.Add("Recipe", "Task", trainer.Task.Name);
        report.Add("Recipe", "Loss", settings.Loss.Name);
        report.Add("Recipe", "Precision", settings.PrecisionChoice.ToString());
        report.Add("Recipe", "Memory layout", settings.ChannelsLast ? "channels-last" : "standard (NCHW)");
        if (settings.AccumulationSteps > 1)
        {
            report.Add("Recipe", "Gradient accumulation", settings.AccumulationSteps.ToString(CultureInfo.InvariantCulture));
        }

        if (settings.ClipNorm is { } clip)
        {
            report.Add("Recipe", "Gradient clipping (norm)", clip.ToString(CultureInfo.InvariantCulture));
        }

        if (settings.Seed is { } seed)
        {
            report.Add("Recipe", "Seed", seed.ToString(CultureInfo.InvariantCulture));
        }

        if (trainer.ProcessCount > 1)
        {
            report.Add("Recipe", "Data-parallel processes", trainer.ProcessCount.ToString(CultureInfo.InvariantCulture));
        }

        report.Add("Recipe", "Epochs trained", trainer.Epoch.ToString(CultureInfo.InvariantCulture));
        report.Add("Recipe", "Callbacks", settings.Callbacks.Count == 0 ? "none" : string.Join(", ", settings.Callbacks.Select(c => c.Name)));
        if (trainer.History.Epochs.Count > 0)
        {
            report.AddTiming("Training", TimeSpan.FromSeconds(trainer.History.Epochs.Sum(e => e.Seconds)));
        }

        return report;
    }

    /// <summary>Adds a row to a configuration table ("Data", "Recipe", "Environment" or any other section).</summary>
    /// <param name="section">The table.</param>
    /// <param name="key">The row's name.</param>
    /// <param name="value">The row's value.</param>
    public RunReport Add(string section, string key, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(section);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        _facts.Add((section, key, value ?? string.Empty));
        return this;
    }

    /// <summary>Adds a row to the timings table.</summary>
    /// <param name="name">What took the time.</param>
    /// <param name="duration">How long.</param>
    public RunReport AddTiming(string name, TimeSpan duration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _timings.Add((name, duration));
        return this;
    }

    /// <summary>A multi-label model's test-set predictions, or <see langword="null"/>.</summary>
    public MultiLabelPredictionSet? MultiLabelPredictions { get; set; }

    /// <summary>Adds test-set results: predictions, the dataset they came from (for images) and the loss.</summary>
    /// <param name="predictions">The predictions.</param>
    /// <param name="dataset">The evaluated dataset, or <see langword="null"/> to leave out the top-loss images.</param>
    /// <param name="testLoss">The test loss, if known.</param>
    public RunReport AddEvaluation(PredictionSet predictions, IImageDataset? dataset = null, double? testLoss = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        (Predictions, Dataset, TestLoss) = (predictions, dataset, testLoss);
        return this;
    }

    /// <summary>Adds a multi-label model's test-set results: its predictions, the dataset they came from and the loss.</summary>
    /// <param name="predictions">The predictions.</param>
    /// <param name="dataset">The evaluated dataset.</param>
    /// <param name="testLoss">The test loss, if known.</param>
    public RunReport AddEvaluation(MultiLabelPredictionSet predictions, IImageDataset? dataset = null, double? testLoss = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        (MultiLabelPredictions, Dataset, TestLoss) = (predictions, dataset, testLoss);
        return this;
    }

    /// <summary>
    /// Adds the top losses with Grad-CAM (or another method's) heatmaps of the class the model
    /// predicted: where it looked when it went wrong. Call after <see cref="AddEvaluation(PredictionSet, IImageDataset?, double?)"/> with a dataset.
    /// </summary>
    /// <param name="model">The model that made <see cref="Predictions"/>.</param>
    /// <param name="configuration">Its configuration: the evaluation transform prepares the images.</param>
    /// <param name="method">The map method.</param>
    /// <param name="count">Images to show.</param>
    /// <exception cref="InvalidOperationException">No predictions or dataset were added.</exception>
    /// <exception cref="ArgumentException">The model has no layer to map (see <see cref="Explanation.ClassActivationMapper"/>).</exception>
    public RunReport AddHeatmaps(TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> model, ModelConfiguration configuration, Explanation.CamMethod method = Explanation.CamMethod.GradCam, int count = 8)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(configuration);
        if ((Predictions is null && MultiLabelPredictions is null) || Dataset is null)
        {
            throw new InvalidOperationException("Add the evaluation (predictions and their dataset) before the heatmaps.");
        }

        var mapper = new Explanation.ClassActivationMapper(model, method);
        if (MultiLabelPredictions is { } labelled)
        {
            _heatmaps = (Explanation.HeatmapPlot.RenderTopLosses(labelled, Dataset, mapper, configuration), $"Each of the images whose label sets were most wrong beside a heatmap of each label the model predicted (or of its most probable label), at '{mapper.Layer}'.");
            return this;
        }

        _heatmaps = (Explanation.HeatmapPlot.RenderTopLosses(Predictions!, Dataset, mapper, configuration, count), $"Each of the top losses beside a heatmap of the class the model predicted, at '{mapper.Layer}': where it looked when it went wrong.");
        return this;
    }

    /// <summary>Writes the page atomically.</summary>
    /// <param name="path">The HTML file, such as <c>runs/name/report.html</c>.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var html = ToHtml();
        Serialization.AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            writer.Write(html);
        });
    }

    /// <summary>The page as HTML text.</summary>
    public string ToHtml()
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append(CultureInfo.InvariantCulture, $"<title>{E(Title)}</title>\n<style>{Css}</style>\n</head>\n<body>\n");
        html.Append(CultureInfo.InvariantCulture, $"<h1>{E(Title)}</h1>\n<p class=\"meta\">Report written {E(Created.ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture))} by CnnClassify.</p>\n");
        AppendSummary(html);
        AppendConfiguration(html);
        if (History is { Epochs.Count: > 0 } history)
        {
            html.Append("<section id=\"history\">\n<h2>Training history</h2>\n");
            AppendImage(html, HistoryPlot.Render(history).Png, "Loss, accuracy and learning rate per epoch");
            AppendEpochTable(html, history);
            html.Append("</section>\n");
        }

        if (Predictions is { } predictions)
        {
            var report = predictions.Report();
            html.Append("<section id=\"confusion\">\n<h2>Confusion matrix</h2>\n");
            AppendImage(html, ConfusionMatrixPlot.Render(report.Matrix).Png, "Confusion matrix of the test set");
            html.Append("</section>\n<section id=\"classification\">\n<h2>Classification report</h2>\n");
            AppendClassificationTable(html, report);
            html.Append("</section>\n");
            AppendMostConfused(html, report.Matrix.MostConfused());
            if (Dataset is { } dataset)
            {
                AppendTopLosses(html, "The test images the model got wrong most confidently, with their true and predicted classes.", PredictionGridPlot.RenderTopLosses(predictions, dataset));
            }
        }

        if (MultiLabelPredictions is { } labelled)
        {
            html.Append("<section id=\"labels\">\n<h2>Per-label metrics</h2>\n<p>Precision, recall and F1 at each label's threshold; average precision and ROC AUC over all thresholds; the confusion counts as scikit-learn's <code>multilabel_confusion_matrix</code> gives them.</p>\n");
            AppendLabelTable(html, labelled);
            html.Append("</section>\n<section id=\"precision-recall\">\n<h2>Precision and recall</h2>\n<p>Each label's precision-recall curve over all thresholds; the dot is the model's threshold.</p>\n");
            AppendImage(html, MultiLabelPlots.RenderPrecisionRecall(labelled), "Precision-recall curve of each label");
            html.Append("</section>\n<section id=\"confusion\">\n<h2>Confusion matrices</h2>\n");
            AppendImage(html, MultiLabelPlots.RenderConfusionMatrices(labelled), "Each label's confusion matrix");
            html.Append("</section>\n");
            if (Dataset is { } labelledData)
            {
                AppendTopLosses(html, "The test images whose label sets the model got most wrong, with their true and predicted labels.", MultiLabelPlots.RenderTopLosses(labelled, labelledData));
            }
        }

        if (_heatmaps is { } heatmaps)
        {
            html.Append(CultureInfo.InvariantCulture, $"<section id=\"heatmaps\">\n<h2>Where the model looked</h2>\n<p>{E(heatmaps.Caption)}</p>\n");
            AppendImage(html, heatmaps.Png, "Top losses with class activation maps");
            html.Append("</section>\n");
        }

        if (_timings.Count > 0)
        {
            html.Append("<section id=\"timings\">\n<h2>Timings</h2>\n<table>\n<tbody>\n");
            foreach (var (name, duration) in _timings)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><th>{E(name)}</th><td class=\"num\">{E(ConsoleProgress.Duration(duration))}</td><td class=\"num\">{duration.TotalSeconds:F1} s</td></tr>\n");
            }

            html.Append("</tbody>\n</table>\n</section>\n");
        }

        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private const string Css =
        "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:2em auto;max-width:1500px;padding:0 1em;color:#222}" +
        "h1{margin-bottom:0.2em}h2{border-bottom:1px solid #ccc;padding-bottom:0.2em;margin-top:1.6em}" +
        ".meta{color:#666;margin-top:0}" +
        ".cards{display:flex;flex-wrap:wrap;gap:1em}.card{border:1px solid #ddd;border-radius:6px;padding:0.6em 1em;min-width:9em}" +
        ".card b{display:block;font-size:1.5em}.card span{color:#666;font-size:0.9em}" +
        ".tables{display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start}" +
        "table{border-collapse:collapse;margin:0.5em 0}th,td{padding:0.25em 0.8em;border-bottom:1px solid #eee;text-align:left;vertical-align:top}" +
        "thead th{border-bottom:2px solid #999}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}" +
        "caption{text-align:left;font-weight:bold;padding-bottom:0.3em}tr.total td,tr.total th{border-top:2px solid #999}" +
        "img{max-width:100%;height:auto;border:1px solid #eee}";

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Percent(double value) => double.IsFinite(value) ? (value * 100).ToString("F2", CultureInfo.InvariantCulture) + " %" : "n/a";

    private static void AppendImage(StringBuilder html, byte[] png, string alt) =>
        html.Append(CultureInfo.InvariantCulture, $"<img alt=\"{E(alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">\n");

    private void AppendSummary(StringBuilder html)
    {
        var cards = new List<(string Value, string Label)>();
        if (Predictions is { } predictions)
        {
            cards.Add((Percent(predictions.Accuracy), "test accuracy"));
            if (predictions.ClassNames.Count > 5)
            {
                cards.Add((Percent(predictions.TopKAccuracy(5)), "test top-5 accuracy"));
            }

            cards.Add((predictions.Samples.Count.ToString("N0", CultureInfo.InvariantCulture), "test images"));
        }

        if (MultiLabelPredictions is { } labelled)
        {
            var report = labelled.Report();
            cards.Add((report.MeanAveragePrecision.ToString("F4", CultureInfo.InvariantCulture), "test mAP"));
            cards.Add((report.SamplesAverage.F1.ToString("F4", CultureInfo.InvariantCulture), "test samples F1"));
            cards.Add((Percent(report.SubsetAccuracy), "test subset accuracy"));
            cards.Add((report.HammingLoss.ToString("F4", CultureInfo.InvariantCulture), "test Hamming loss"));
            cards.Add((labelled.Count.ToString("N0", CultureInfo.InvariantCulture), "test images"));
        }

        if (TestLoss is { } loss)
        {
            cards.Add((loss.ToString("F4", CultureInfo.InvariantCulture), "test loss"));
        }

        if (History is { Epochs.Count: > 0 } mapHistory && mapHistory.Epochs.All(e => e.ValidationMeanAveragePrecision is not null)
            && mapHistory.Best(Metric.ValidationMeanAveragePrecision) is { ValidationMeanAveragePrecision: { } bestMap } mapEpoch)
        {
            cards.Add((bestMap.ToString("F4", CultureInfo.InvariantCulture), string.Create(CultureInfo.InvariantCulture, $"best validation mAP (epoch {mapEpoch.Epoch + 1})")));
        }
        else if (History?.Best(Metric.ValidationAccuracy) is { ValidationAccuracy: { } best } epoch)
        {
            cards.Add((Percent(best), string.Create(CultureInfo.InvariantCulture, $"best validation accuracy (epoch {epoch.Epoch + 1})")));
        }

        if (History is { Epochs.Count: > 0 } history)
        {
            cards.Add((history.Epochs.Count.ToString(CultureInfo.InvariantCulture), "epochs"));
            cards.Add((ConsoleProgress.Duration(TimeSpan.FromSeconds(history.Epochs.Sum(e => e.Seconds))), "training time"));
        }

        if (cards.Count == 0)
        {
            return;
        }

        html.Append("<div class=\"cards\">\n");
        foreach (var (value, label) in cards)
        {
            html.Append(CultureInfo.InvariantCulture, $"<div class=\"card\"><b>{E(value)}</b><span>{E(label)}</span></div>\n");
        }

        html.Append("</div>\n");
    }

    private static void AppendTopLosses(StringBuilder html, string caption, byte[] png)
    {
        html.Append(CultureInfo.InvariantCulture, $"<section id=\"top-losses\">\n<h2>Top losses</h2>\n<p>{E(caption)}</p>\n");
        AppendImage(html, png, "Top losses");
        html.Append("</section>\n");
    }

    private static void AppendLabelTable(StringBuilder html, MultiLabelPredictionSet predictions)
    {
        var report = predictions.Report();
        static string N(double value) => double.IsFinite(value) ? value.ToString("F4", CultureInfo.InvariantCulture) : "n/a";
        html.Append("<table>\n<thead><tr><th>Label</th><th class=\"num\">Threshold</th><th class=\"num\">Precision</th><th class=\"num\">Recall</th><th class=\"num\">F1</th><th class=\"num\">Support</th><th class=\"num\">AP</th><th class=\"num\">ROC AUC</th><th class=\"num\">TN</th><th class=\"num\">FP</th><th class=\"num\">FN</th><th class=\"num\">TP</th></tr></thead>\n<tbody>\n");
        for (var i = 0; i < report.Labels.Count; i++)
        {
            var l = report.Labels[i];
            html.Append(CultureInfo.InvariantCulture, $"<tr><th>{E(l.Name)}</th><td class=\"num\">{N(predictions.Thresholds[i])}</td><td class=\"num\">{N(l.Precision)}</td><td class=\"num\">{N(l.Recall)}</td><td class=\"num\">{N(l.F1)}</td><td class=\"num\">{l.Support}</td><td class=\"num\">{N(l.AveragePrecision)}</td><td class=\"num\">{N(l.RocAuc)}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td class=\"num\">{l.Matrix.TrueNegatives}</td><td class=\"num\">{l.Matrix.FalsePositives}</td><td class=\"num\">{l.Matrix.FalseNegatives}</td><td class=\"num\">{l.Matrix.TruePositives}</td></tr>\n");
        }

        foreach (var (name, m) in new[] { ("micro avg", report.Micro), ("macro avg", report.Macro), ("weighted avg", report.Weighted), ("samples avg", report.SamplesAverage) })
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr class=\"total\"><th>{E(name)}</th><td></td><td class=\"num\">{N(m.Precision)}</td><td class=\"num\">{N(m.Recall)}</td><td class=\"num\">{N(m.F1)}</td><td colspan=\"7\"></td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
    }

    private void AppendConfiguration(StringBuilder html)
    {
        var facts = new List<(string Section, string Key, string Value)>();
        if (Model is { } model)
        {
            facts.Add(("Model", "Architecture", model.Architecture ?? "custom (builder)"));
            facts.Add(("Model", "Input", string.Create(CultureInfo.InvariantCulture, $"{model.InChannels}x{model.InputHeight}x{model.InputWidth} ({model.ColorMode})")));
            facts.Add(("Model", "Classes", model.ClassNames.Count > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{model.ClassNames.Count}: {string.Join(", ", model.ClassNames.Take(20))}{(model.ClassNames.Count > 20 ? ", ..." : string.Empty)}")
                : model.NumClasses.ToString(CultureInfo.InvariantCulture)));
            facts.Add(("Model", "Preprocessing", Describe(model.Preprocessing)));
        }

        facts.AddRange(_facts);
        html.Append("<section id=\"configuration\">\n<h2>Configuration</h2>\n<div class=\"tables\">\n");
        foreach (var section in facts.Select(f => f.Section).Distinct())
        {
            html.Append(CultureInfo.InvariantCulture, $"<table>\n<caption>{E(section)}</caption>\n<tbody>\n");
            foreach (var (_, key, value) in facts.Where(f => f.Section == section))
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><th>{E(key)}</th><td>{E(value)}</td></tr>\n");
            }

            html.Append("</tbody>\n</table>\n");
        }

        html.Append("</div>\n</section>\n");
    }

    private static string Describe(Preprocessing preprocessing)
    {
        var parts = new List<string>();
        if (preprocessing.ResizeSize is { } size)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"resize to {size} ({preprocessing.Interpolation.ToString().ToLowerInvariant()}), centre crop"));
        }

        parts.Add("scale to [0, 1]");
        if (preprocessing.Mean.Count > 0)
        {
            parts.Add($"normalise with mean [{string.Join(", ", preprocessing.Mean.Select(m => m.ToString("0.###", CultureInfo.InvariantCulture)))}] and std [{string.Join(", ", preprocessing.Std.Select(s => s.ToString("0.###", CultureInfo.InvariantCulture)))}]");
        }

        return string.Join(", ", parts);
    }

    private static void AppendEpochTable(StringBuilder html, History history)
    {
        // A multi-label model's accuracies are subset accuracies, and its validation mAP gets a column.
        var map = history.Epochs.Any(e => e.ValidationMeanAveragePrecision is not null);
        html.Append(CultureInfo.InvariantCulture, $"<table>\n<thead><tr><th class=\"num\">epoch</th><th class=\"num\">train loss</th><th class=\"num\">train accuracy</th><th class=\"num\">val loss</th><th class=\"num\">val accuracy</th>{(map ? "<th class=\"num\">val mAP</th>" : string.Empty)}<th class=\"num\">learning rate</th><th class=\"num\">seconds</th><th class=\"num\">images/s</th></tr></thead>\n<tbody>\n");
        foreach (var e in history.Epochs)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"num\">{e.Epoch + 1}</td><td class=\"num\">{e.TrainLoss:F4}</td><td class=\"num\">{Percent(e.TrainAccuracy)}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td class=\"num\">{(e.ValidationLoss is { } vl ? vl.ToString("F4", CultureInfo.InvariantCulture) : "n/a")}</td><td class=\"num\">{(e.ValidationAccuracy is { } va ? Percent(va) : "n/a")}</td>");
            if (map)
            {
                html.Append(CultureInfo.InvariantCulture, $"<td class=\"num\">{(e.ValidationMeanAveragePrecision is { } vm ? vm.ToString("F4", CultureInfo.InvariantCulture) : "n/a")}</td>");
            }

            html.Append(CultureInfo.InvariantCulture, $"<td class=\"num\">{e.LearningRate:G3}</td><td class=\"num\">{e.Seconds:F1}</td><td class=\"num\">{e.SamplesPerSecond:N0}</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
    }

    // fastai's most_confused: the ten pairs of classes mistaken for each other most often.
    private static void AppendMostConfused(StringBuilder html, IReadOnlyList<ConfusedPair> pairs)
    {
        html.Append("<section id=\"most-confused\">\n<h2>Most confused</h2>\n");
        if (pairs.Count == 0)
        {
            html.Append("<p>No test image was given a wrong class.</p>\n</section>\n");
            return;
        }

        html.Append("<p>The pairs of classes mistaken most often: how many test images of the true class were given the other, and their share of the true class.</p>\n");
        html.Append("<table>\n<thead><tr><th>true class</th><th>predicted</th><th class=\"num\">images</th><th class=\"num\">share</th></tr></thead>\n<tbody>\n");
        foreach (var pair in pairs.Take(10))
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><th>{E(pair.Actual)}</th><td>{E(pair.Predicted)}</td><td class=\"num\">{pair.Count:N0}</td><td class=\"num\">{pair.ShareOfActual:P1}</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void AppendClassificationTable(StringBuilder html, ClassificationReport report)
    {
        html.Append("<table>\n<thead><tr><th>class</th><th class=\"num\">precision</th><th class=\"num\">recall</th><th class=\"num\">F1</th><th class=\"num\">support</th></tr></thead>\n<tbody>\n");
        void Row(ClassMetrics c, string css) =>
            html.Append(CultureInfo.InvariantCulture, $"<tr{css}><th>{E(c.Name)}</th><td class=\"num\">{c.Precision:F4}</td><td class=\"num\">{c.Recall:F4}</td><td class=\"num\">{c.F1:F4}</td><td class=\"num\">{c.Support:N0}</td></tr>\n");
        foreach (var c in report.Classes)
        {
            Row(c, string.Empty);
        }

        html.Append(CultureInfo.InvariantCulture, $"<tr class=\"total\"><th>accuracy</th><td></td><td></td><td class=\"num\">{report.Accuracy:F4}</td><td class=\"num\">{report.Classes.Sum(c => c.Support):N0}</td></tr>\n");
        Row(report.MacroAverage, string.Empty);
        Row(report.WeightedAverage, string.Empty);
        html.Append("</tbody>\n</table>\n");
    }
}
