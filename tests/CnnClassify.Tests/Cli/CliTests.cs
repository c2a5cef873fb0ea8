using System.Text.Json;
using CnnClassify.Cli;
using CnnClassify.Data;
using CnnClassify.Models;
using CnnClassify.Native;
using CnnClassify.Runtime;
using CnnClassify.Serialization;
using CnnClassify.Tests.Data;

namespace CnnClassify.Tests.Cli;

/// <summary>Every command of the cnnclassify CLI on a tiny generated image folder.</summary>
[Collection(SerialTests.Name)]
public sealed class CliTests : IDisposable
{
    private static readonly string[] Classes = ["circle", "square", "triangle"];
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-cli-").FullName;
    private readonly string _data;

    public CliTests()
    {
        _data = Path.Combine(_dir, "data");
        foreach (var (split, count) in new[] { ("train", 12), ("test", 4) })
        {
            for (var c = 0; c < Classes.Length; c++)
            {
                for (var i = 0; i < count; i++)
                {
                    TestImages.Write(Path.Combine(_data, split, Classes[c], $"{i}.png"), width: 16, height: 16, seed: (c * 80) + i);
                }
            }
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private async Task<string> Train(string name, int epochs = 2, params string[] extra)
    {
        var outDir = Path.Combine(_dir, name);
        var (code, output, error) = await Run([
            "train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", _data, "--image-size", "16",
            "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--batch-size", "8", "--lr", "0.003", "--seed", "1", "--out", outDir, .. extra]);
        Assert.True(code == 0, $"exit {code}: {error}\n{output}");
        return outDir;
    }

    [Fact]
    public async Task Summary_prints_the_table_and_the_total_line()
    {
        var (code, output, _) = await Run("summary", "resnet18");

        Assert.Equal(0, code);
        Assert.Contains("Total params: 11,689,512", output.Split('\n').Select(line => line.TrimEnd()));
        Assert.Contains("layer4", output);
    }

    [Fact]
    public async Task A_photo_folder_with_mistakes_is_refused_before_training_and_bad_files_are_named()
    {
        // Class folders with a test/ split beside them, as a new user lays photos out.
        var mixed = Path.Combine(_dir, "mixed");
        foreach (var c in Classes)
        {
            Directory.CreateDirectory(Path.Combine(mixed, c));
            File.Copy(Path.Combine(_data, "train", c, "0.png"), Path.Combine(mixed, c, "0.png"));
            Directory.CreateDirectory(Path.Combine(mixed, "test", c));
            File.Copy(Path.Combine(_data, "test", c, "0.png"), Path.Combine(mixed, "test", c, "0.png"));
        }

        // The same classes laid out right, with a truncated JPEG, an empty PNG, text named .jpg and a stray note.
        var photos = Path.Combine(_dir, "photos");
        CopyDirectory(Path.Combine(_data, "train"), Path.Combine(photos, "train"));
        CopyDirectory(Path.Combine(_data, "test"), Path.Combine(photos, "test"));
        var jpeg = TestImages.Write(Path.Combine(_dir, "whole.jpg"), 16, 16);
        File.WriteAllBytes(Path.Combine(photos, "train", "circle", "cut.jpg"), File.ReadAllBytes(jpeg)[..60]);
        File.WriteAllBytes(Path.Combine(photos, "train", "square", "empty.png"), []);
        File.WriteAllText(Path.Combine(photos, "train", "triangle", "text.jpg"), "not an image");
        File.WriteAllText(Path.Combine(photos, "train", "notes.txt"), "collected in May");

        // A test split whose classes differ from training's.
        var uneven = Path.Combine(_dir, "uneven");
        CopyDirectory(Path.Combine(_data, "train"), Path.Combine(uneven, "train"));
        CopyDirectory(Path.Combine(_data, "test"), Path.Combine(uneven, "test"));
        Directory.Delete(Path.Combine(uneven, "test", "triangle"), recursive: true);

        string[] Arguments(string data, string name) =>
            ["train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", data, "--image-size", "16", "--epochs", "1", "--batch-size", "8", "--out", Path.Combine(_dir, name)];
        var (mixedCode, _, mixedError) = await Run(Arguments(mixed, "mixed-run"));
        var (unevenCode, _, unevenError) = await Run(Arguments(uneven, "uneven-run"));
        var (code, output, error) = await Run(Arguments(photos, "photos-run"));

        Assert.Equal(1, mixedCode);
        Assert.Contains("named like data splits (test)", mixedError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "mixed-run")) && Directory.GetFiles(Path.Combine(_dir, "mixed-run")).Length > 0);
        Assert.Equal(1, unevenCode);
        Assert.Contains("training [circle, square, triangle], test [circle, square]", unevenError, StringComparison.Ordinal);
        Assert.True(code == 0, $"{error}\n{output}");
        foreach (var bad in new[] { Path.Combine("circle", "cut.jpg"), Path.Combine("square", "empty.png"), Path.Combine("triangle", "text.jpg") })
        {
            Assert.Contains(output.Split('\n'), line => line.StartsWith("warning: Skipping image ", StringComparison.Ordinal) && line.Contains(bad, StringComparison.Ordinal));
        }

        Assert.Contains("3 data warning(s) above", output, StringComparison.Ordinal);
    }

    private static void CopyDirectory(string source, string destination)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Theory]
    [InlineData("simplecnn", "390,858", "1x28x28")]
    [InlineData("lenet5", "61,706", "1x28x28")]
    [InlineData("inception_v3", "21,806,058", "3x299x299")]
    public async Task Summary_uses_the_models_own_input(string model, string parameters, string input)
    {
        var (code, output, _) = await Run("summary", model, "--num-classes", "10");

        Assert.Equal(0, code);
        Assert.Contains($"Total params: {parameters}", output.Split('\n').Select(line => line.TrimEnd()));
        Assert.Contains($"Input shape: {input}", output.Split('\n').Select(line => line.TrimEnd()));
    }

    [Fact]
    public async Task Usage_errors_exit_with_2_and_one_line_per_problem()
    {
        var (unknown, _, unknownError) = await Run("summary", "resnet19");
        var (missing, _, missingError) = await Run("train", "--model", "simplecnn");
        var (noData, _, noDataError) = await Run("train", "--model", "simplecnn", "--out", Path.Combine(_dir, "unused"));

        Assert.Equal(2, unknown);
        Assert.StartsWith("error: Unknown model 'resnet19'.", unknownError);
        Assert.Equal(2, missing);
        Assert.Contains("Option '--out' is required.", missingError);
        Assert.Equal(2, noData);
        Assert.Equal("error: Give --dataset (fashion-mnist, mnist, cifar10, imagefolder) or --labels FILE, a table of image paths and labels.", noDataError.Trim());
    }

    [Fact]
    public async Task Augmentation_policies_train_as_presets_and_an_unknown_preset_is_a_usage_error()
    {
        foreach (var preset in new[] { "randaugment", "augmix" })
        {
            var outDir = await Train(preset, 1, "--augment", preset);
            Assert.Contains(preset, File.ReadAllText(Path.Combine(outDir, "report.html")), StringComparison.Ordinal);
        }

        var (code, _, error) = await Run("train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", _data, "--augment", "randaugment9", "--out", Path.Combine(_dir, "unused"));
        Assert.Equal(2, code);
        Assert.Contains("randaugment9", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    [SkippableFact]
    public async Task Lr_find_on_fashion_mnist_plots_the_range_test_and_suggests_a_rate_between_3e_4_and_3e_2()
    {
        try
        {
            await new DatasetLocator().LocateAsync(MnistVariant.FashionMnist, download: false);
        }
        catch (FileNotFoundException ex) when (!PythonProcess.InRoot)
        {
            Skip.If(true, $"Fashion-MNIST is not installed: {ex.Message}");
        }

        var outDir = Path.Combine(_dir, "lr-find");
        var (code, output, error) = await Run("lr-find", "--model", "simplecnn", "--dataset", "fashion-mnist", "--amp", "none", "--seed", "1", "--out", outDir);

        Assert.True(code == 0, $"exit {code}: {error}\n{output}");
        var rows = File.ReadAllLines(Path.Combine(outDir, "lr_find.csv"));
        Assert.Equal("step,learning_rate,smoothed_loss", rows[0]);
        Assert.InRange(rows.Length - 1, 30, 100);
        var valley = double.Parse(output.Split('\n').Single(l => l.TrimStart().StartsWith("valley", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(valley, 3e-4, 3e-2);
        var plot = SixLabors.ImageSharp.Image.Identify(Path.Combine(outDir, "lr_find.png"));
        Assert.Equal(640, plot.Width);
        Assert.False(File.Exists(Path.Combine(outDir, "last.ckpt")));
    }

    [Fact]
    public async Task Lr_auto_trains_at_the_range_tests_valley_and_lr_options_refuse_bad_values()
    {
        var outDir = Path.Combine(_dir, "auto");
        var (trained, output, trainError) = await Run("train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", _data, "--image-size", "16", "--epochs", "1", "--batch-size", "4", "--lr", "auto", "--seed", "1", "--out", outDir);

        Assert.True(trained == 0, $"exit {trained}: {trainError}\n{output}");
        Assert.True(File.ReadAllLines(Path.Combine(outDir, "lr_find.csv")).Length > 5);
        var valley = output.Split('\n').Single(l => l.TrimStart().StartsWith("valley", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.Contains($"--lr auto: training at {valley} (the valley suggestion)", output, StringComparison.Ordinal);
        var history = CnnClassify.Training.Checkpoint.ReadHistory(Path.Combine(outDir, "last.ckpt"));
        Assert.InRange(history.Epochs.Single().LearningRate / double.Parse(valley, System.Globalization.CultureInfo.InvariantCulture), 0.99, 1.01);

        var (sized, sizedOutput, sizedError) = await Run("train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", _data, "--image-size", "16", "--epochs", "1", "--batch-size", "auto", "--out", Path.Combine(_dir, "auto-batch"));
        Assert.True(sized == 0, $"exit {sized}: {sizedError}\n{sizedOutput}");
        Assert.Contains("--batch-size auto: 33 (budget", sizedOutput, StringComparison.Ordinal);
        Assert.Contains("holds the whole training set", sizedOutput, StringComparison.Ordinal);

        var bad = new[]
        {
            (new[] { "train", "--lr", "fast" }, "--lr must be a number above 0 or auto; got 'fast'."),
            (["train", "--batch-size", "lots"], "--batch-size must be auto or a whole number from 1 to 65,536; got 'lots'."),
            (["train", "--batch-size", "0"], "--batch-size must be auto"),
            (["train", "--batch-size", "auto", "--dry-run"], "--batch-size auto searches in one fresh process"),
            (["train", "--lr", "auto", "--resume", Path.Combine(outDir, "last.ckpt")], "--lr auto chooses the rate a new run starts with"),
            (["lr-find", "--start-lr", "1", "--end-lr", "0.5"], "--end-lr (0.5) must be above --start-lr (1)."),
            (["lr-find", "--steps", "4"], "--steps"),
            (["lr-find", "--epochs", "3"], "--epochs"),
        };
        foreach (var (args, message) in bad)
        {
            var (code, _, error) = await Run([.. args, "--model", "simplecnn", "--dataset", "imagefolder", "--data", _data, "--image-size", "16", "--out", Path.Combine(_dir, "unused")]);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}, {error}");
            Assert.Contains(message, error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_dry_run_trains_one_short_balanced_epoch_through_every_output_and_is_refused_by_lr_find()
    {
        var outDir = Path.Combine(_dir, "dry");
        var (code, output, error) = await Run("train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", _data, "--image-size", "16", "--epochs", "30", "--batch-size", "4", "--dry-run", "--balance", "--out", outDir);

        Assert.True(code == 0, $"exit {code}: {error}\n{output}");
        Assert.Contains("dry run: one epoch on 8 training and", output, StringComparison.Ordinal);
        Assert.Contains("data: 8 train,", output, StringComparison.Ordinal);
        Assert.Contains("balanced sampling: classes of", output, StringComparison.Ordinal);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")));
        Assert.True(metrics.RootElement.GetProperty("dry_run").GetBoolean());
        Assert.Equal(1, metrics.RootElement.GetProperty("epochs_run").GetInt32());
        Assert.True(File.Exists(Path.Combine(outDir, "report.html")));
        Assert.True(File.Exists(Path.Combine(outDir, "best.ckpt")));

        var (refused, _, refusal) = await Run("lr-find", "--model", "simplecnn", "--dataset", "imagefolder", "--data", _data, "--dry-run", "--out", outDir);
        Assert.Equal(2, refused);
        Assert.Contains("--dry-run", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_writes_checkpoints_history_plots_and_reports()
    {
        var outDir = await Train("run");

        foreach (var file in new[] { "best.ckpt", "last.ckpt", "history.csv", "history.png", "confusion_matrix.png", "report.txt", "metrics.json", "report.html", "top_losses.png", "top_losses_heatmaps.png" })
        {
            Assert.True(File.Exists(Path.Combine(outDir, file)), $"{file} is missing");
        }

        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")));
        var root = metrics.RootElement;
        foreach (var key in new[] { "test_accuracy", "test_loss", "best_epoch", "epochs_run", "train_seconds", "train_images_per_second" })
        {
            Assert.True(root.TryGetProperty(key, out _), $"metrics.json lacks {key}");
        }

        Assert.Equal(2, root.GetProperty("epochs_run").GetInt32());
        var auto = CnnClassify.Runtime.PrecisionChoice.For(CnnClassify.Runtime.Precision.Auto, TorchSharp.torch.CPU);
        Assert.Equal(CnnClassify.Runtime.PrecisionChoice.Name(auto.Precision), root.GetProperty("precision").GetString());
        Assert.Equal(CpuCapabilities.Current.Describe(), root.GetProperty("cpu_capability").GetString());
        var circle = root.GetProperty("per_class").GetProperty("circle");
        Assert.Equal(4, circle.GetProperty("support").GetInt32());
        Assert.InRange(circle.GetProperty("f1").GetDouble(), 0, 1);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(outDir, "history.csv")).Length);
    }

    [Fact]
    public async Task A_frozen_backbone_is_run_once_without_augmentation_and_every_epoch_with_it()
    {
        string[] Args(string name, string augment) =>
        [
            "train", "--model", "resnet18", "--dataset", "imagefolder", "--data", _data, "--image-size", "16", "--epochs", "2", "--batch-size", "8",
            "--freeze-backbone", "--augment", augment, "--seed", "1", "--out", Path.Combine(_dir, name),
        ];

        var (code, output, error) = await Run(Args("cached", "none"));
        var (augmentedCode, augmented, augmentedError) = await Run(Args("augmented", "light"));

        Assert.True(code == 0, error);
        Assert.Contains("backbone features cached: 33 train and 3 validation images, [512] each", output);
        Assert.True(augmentedCode == 0, augmentedError);
        Assert.Contains("backbone features not cached: the pipeline's RandomCrop is random", augmented);
        using var checkpoint = CnnClassify.Training.Checkpoint.LoadModel(Path.Combine(_dir, "cached", "last.ckpt"));
        Assert.Equal(16, checkpoint.Configuration.InputHeight);
        Assert.Equal(Classes, checkpoint.Configuration.ClassNames);
    }

    [Fact]
    public async Task An_explicit_bf16_warns_in_one_line_where_the_CPU_emulates_it_and_trains_anyway()
    {
        var outDir = Path.Combine(_dir, "bf16");
        var (code, output, error) = await Run(
            "train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", _data, "--image-size", "16", "--epochs", "1", "--batch-size", "8", "--amp", "bf16", "--out", outDir);

        Assert.True(code == 0, error);
        Assert.Contains("precision: bf16 (asked for)", output);
        var warnings = output.Split('\n').Where(l => l.StartsWith("warning: bf16 was asked for", StringComparison.Ordinal)).ToList();
        Assert.Equal(CpuCapabilities.Current.NativeBf16 ? 0 : 1, warnings.Count);
        Assert.True(File.Exists(Path.Combine(outDir, "best.ckpt")));
    }

    [Fact]
    public async Task Layer_decay_gives_each_stage_below_the_head_a_smaller_rate_and_out_of_range_values_are_usage_errors()
    {
        var outDir = Path.Combine(_dir, "layer-decay");
        var (code, output, error) = await Run(
            "train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", _data, "--image-size", "16", "--epochs", "1", "--batch-size", "8",
            "--lr", "0.004", "--layer-decay", "0.5", "--out", outDir);
        var (tooLarge, _, tooLargeError) = await Run(
            "train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", _data, "--layer-decay", "1.5", "--out", outDir);

        Assert.True(code == 0, error);
        Assert.Contains("layer decay 0.5: head 0.004, classifier.0 0.002, block3 0.001, block2 0.0005, block1 0.00025", output.Split('\n').Select(l => l.TrimEnd()));
        Assert.Equal(2, tooLarge);
        Assert.Contains("--layer-decay must be in (0, 1]; got 1.5.", tooLargeError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Training_resumes_from_a_checkpoint()
    {
        var outDir = await Train("resume");

        var again = await Train("resumed", 3, "--resume", Path.Combine(outDir, "last.ckpt"));

        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(again, "metrics.json")));
        Assert.Equal(3, metrics.RootElement.GetProperty("epochs_run").GetInt32());
    }

    [Fact]
    public async Task Evaluate_writes_the_reports_and_one_prediction_row_per_test_image()
    {
        var outDir = await Train("evaluated");
        var evalDir = Path.Combine(_dir, "evaluation");

        var (code, output, error) = await Run("evaluate", "--checkpoint", Path.Combine(outDir, "best.ckpt"), "--dataset", "imagefolder", "--data", _data, "--out", evalDir);

        Assert.True(code == 0, error);
        var rows = File.ReadAllLines(Path.Combine(evalDir, "predictions.csv"));
        Assert.Equal("index,true,predicted,confidence", rows[0]);
        Assert.Equal(12, rows.Length - 1);
        Assert.True(File.Exists(Path.Combine(evalDir, "report.txt")));
        Assert.Contains("weighted avg", output);
        // The evaluation's report carries the training history the checkpoint holds.
        var html = File.ReadAllText(Path.Combine(evalDir, "report.html"));
        Assert.Contains("<section id=\"history\">", html);
        Assert.Contains("<section id=\"top-losses\">", html);
        Assert.Contains("<section id=\"heatmaps\">", html);
        Assert.Contains("<section id=\"most-confused\">", html);
        using (var evaluated = JsonDocument.Parse(File.ReadAllText(Path.Combine(evalDir, "metrics.json"))))
        {
            var pairs = evaluated.RootElement.GetProperty("most_confused").EnumerateArray().Select(p => p.GetProperty("count").GetInt64()).ToList();
            var wrong = rows.Skip(1).Count(r => r.Split(',')[1] != r.Split(',')[2]);
            Assert.Equal(wrong, pairs.Sum());
            Assert.Equal(pairs.OrderByDescending(c => c), pairs);
        }

        // With test-time augmentation the outputs say which, and the bad combinations are usage errors.
        var ttaDir = Path.Combine(_dir, "evaluation-tta");
        var (ttaCode, ttaOutput, ttaError) = await Run("evaluate", "--checkpoint", Path.Combine(outDir, "best.ckpt"), "--dataset", "imagefolder", "--data", _data, "--tta", "ten-crop", "--tta-average", "logits", "--out", ttaDir);
        Assert.True(ttaCode == 0, ttaError);
        const string description = "ten-crop: 10 views";
        Assert.Contains($"with {description}", ttaOutput, StringComparison.Ordinal);
        using (var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(ttaDir, "metrics.json"))))
        {
            Assert.StartsWith(description, metrics.RootElement.GetProperty("test_time_augmentation").GetString(), StringComparison.Ordinal);
            Assert.EndsWith("logits averaged", metrics.RootElement.GetProperty("test_time_augmentation").GetString(), StringComparison.Ordinal);
        }

        Assert.Contains(description, File.ReadAllText(Path.Combine(ttaDir, "report.html")), StringComparison.Ordinal);
        foreach (var (extra, message) in new[]
        {
            (new[] { "--tta", "sideways" }, "sideways"),
            (["--tta-views", "3"], "--tta-views and --tta-average go with --tta."),
            (["--tta", "flip", "--tta-views", "3"], "--tta flip has fixed views"),
            (["--tta", "augment", "--tta-views", "0"], "--tta-views"),
        })
        {
            var (badCode, _, badError) = await Run(["evaluate", "--checkpoint", Path.Combine(outDir, "best.ckpt"), "--dataset", "imagefolder", "--data", _data, "--out", ttaDir, .. extra]);
            Assert.True(badCode == 2, $"{string.Join(' ', extra)}: exit {badCode}");
            Assert.Contains(message, badError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Explain_draws_each_image_beside_its_heatmap_and_names_mistakes()
    {
        var outDir = await Train("explained");
        var checkpoint = Path.Combine(outDir, "best.ckpt");
        var images = new[] { Path.Combine(_data, "test", "square", "0.png"), Path.Combine(_data, "test", "circle", "0.png") };
        var heat = Path.Combine(_dir, "heat.png");

        var (code, text, error) = await Run(["explain", "--checkpoint", checkpoint, .. images, "--method", "gradcampp", "--class", "Square", "--out", heat]);

        Assert.True(code == 0, error);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(images[0])}: predicted (circle|square|triangle); map of square \\(p = 0\\.\\d{{3}}\\)$", lines[0]);
        Assert.StartsWith($"{images[1]}: ", lines[1]);
        Assert.Equal($"gradcampp at 'features.10' -> {heat}", lines[2]);
        using (var picture = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(heat))
        {
            Assert.Equal((2 * 2 * 160, 40 + 160 + 52), (picture.Width, picture.Height));
        }

        var (unknownClass, _, classError) = await Run("explain", "--checkpoint", checkpoint, images[0], "--class", "hexagon", "--out", heat);
        Assert.Equal(1, unknownClass);
        Assert.StartsWith("error: Unknown class 'hexagon'. The model's classes: circle, square, triangle.", classError);
        var (unknownLayer, _, layerError) = await Run("explain", "--checkpoint", checkpoint, images[0], "--layer", "layer4", "--out", heat);
        Assert.Equal(1, unknownLayer);
        Assert.Contains("no layer 'layer4'", layerError);
        var (badMethod, _, _) = await Run("explain", "--checkpoint", checkpoint, images[0], "--method", "lime", "--out", heat);
        Assert.Equal(2, badMethod);
    }

    [Fact]
    public async Task Predict_with_a_checkpoint_prints_classes_or_json()
    {
        var outDir = await Train("predicting");
        var image = Path.Combine(_data, "test", "square", "0.png");

        var (code, text, _) = await Run("predict", "--checkpoint", Path.Combine(outDir, "best.ckpt"), image, "--top", "2");
        var (jsonCode, json, _) = await Run("predict", "--checkpoint", Path.Combine(outDir, "best.ckpt"), image, "--json");

        Assert.Equal((0, 0), (code, jsonCode));
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"{image}: ", lines[0]);
        Assert.Equal(2, lines.Length);
        using var document = JsonDocument.Parse(json);
        var probabilities = document.RootElement[0].GetProperty("probabilities");
        Assert.Equal(Classes, document.RootElement[0].GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(1.0, probabilities.EnumerateArray().Sum(p => p.GetDouble()), 5);

        // predict --tta five-crop gives what the library's predictor gives with the same views.
        var (ttaCode, ttaJson, ttaError) = await Run("predict", "--checkpoint", Path.Combine(outDir, "best.ckpt"), image, "--json", "--tta", "five-crop", "--amp", "none");
        Assert.True(ttaCode == 0, ttaError);
        using var predictor = CnnClassify.Inference.Predictor.FromCheckpoint(Path.Combine(outDir, "best.ckpt"), new CnnClassify.Inference.PredictorOptions
        {
            Precision = Precision.Fp32, TestTimeAugmentation = TestTimeAugmentation.FiveCrop(CnnClassify.Training.Checkpoint.ReadConfiguration(Path.Combine(outDir, "best.ckpt"))),
        });
        using var ttaDocument = JsonDocument.Parse(ttaJson);
        Assert.Equal(predictor.Predict(image).Probabilities, ttaDocument.RootElement[0].GetProperty("probabilities").EnumerateArray().Select(p => p.GetDouble()), new Training.ToleranceComparer(1e-6));
        var (badCode, _, badError) = await Run("predict", "--checkpoint", Path.Combine(outDir, "best.ckpt"), image, "--tta", "sideways");
        Assert.Equal(2, badCode);
        Assert.Contains("sideways", badError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_with_weights_trained_elsewhere_uses_the_given_preprocessing()
    {
        var weights = Path.Combine(_dir, "weights.safetensors");
        using (var model = ModelZoo.Create("simplecnn", new ModelOptions { NumClasses = 4, InChannels = 3, ImageSize = 16 }))
        {
            model.SaveSafetensors(weights);
        }

        var (code, json, error) = await Run("predict", "--model", "simplecnn", "--weights", weights, "--num-classes", "4", "--in-channels", "3", "--size", "16",
            "--mean", "0.5,0.5,0.5", "--std", "0.25,0.25,0.25", Path.Combine(_data, "test", "circle", "1.png"), "--json");

        Assert.True(code == 0, error);
        using var document = JsonDocument.Parse(json);
        Assert.Equal(["0", "1", "2", "3"], document.RootElement[0].GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(4, document.RootElement[0].GetProperty("probabilities").GetArrayLength());
    }

    [Fact]
    public async Task Runtime_failures_exit_with_1_and_one_line_unless_verbose()
    {
        var weights = Path.Combine(_dir, "missing.safetensors");

        var (code, _, error) = await Run("predict", "--model", "simplecnn", "--weights", weights, "--num-classes", "4", "--size", "16", "any.png");
        var (verboseCode, _, verboseError) = await Run("predict", "--model", "simplecnn", "--weights", weights, "--num-classes", "4", "--size", "16", "any.png", "--verbose");

        Assert.Equal(1, code);
        Assert.Equal($"error: Weights file '{weights}' does not exist.", error.Trim());
        Assert.Equal(1, verboseCode);
        Assert.Contains("   at ", verboseError);
    }
}
