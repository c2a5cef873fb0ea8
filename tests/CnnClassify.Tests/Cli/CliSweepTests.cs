using CnnClassify.Cli;
using CnnClassify.Serialization;
using CnnClassify.Tests.Data;

namespace CnnClassify.Tests.Cli;

/// <summary>
/// Every command with input a user can get wrong: one line naming the problem, no stack trace,
/// exit code 2 for a wrong command line and 1 for a file or folder that cannot be used.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class CliSweepTests : IDisposable
{
    private static readonly string Dir = Directory.CreateTempSubdirectory("cnnclassify-sweep-").FullName;

    static CliSweepTests()
    {
        foreach (var c in new[] { "circle", "square" })
        {
            for (var i = 0; i < 4; i++)
            {
                TestImages.Write(Path.Combine(Dir, "data", c, $"{i}.png"), 16, 16, seed: i + (c.Length * 10));
            }
        }

        Directory.CreateDirectory(Path.Combine(Dir, "empty"));
        File.WriteAllText(Path.Combine(Dir, "file.txt"), "text");
        File.WriteAllText(Path.Combine(Dir, "text.png"), "not an image");
        File.WriteAllBytes(Path.Combine(Dir, "empty.png"), []);
        TestImages.Write(Path.Combine(Dir, "photo.png"), 16, 16);
    }

    public void Dispose()
    {
    }

    private static string P(string name) => Path.Combine(Dir, name);

    /// <summary>A valid train command line with some options replaced or added.</summary>
    private static string[] Train(params string[] changes)
    {
        var options = new List<(string Name, string Value)>
        {
            ("--model", "simplecnn"), ("--dataset", "imagefolder"), ("--data", P("data")), ("--image-size", "16"), ("--epochs", "1"), ("--val-split", "0.25"), ("--out", P("out")),
        };
        for (var i = 0; i + 1 < changes.Length; i += 2)
        {
            options.RemoveAll(option => option.Name == changes[i]);
            options.Add((changes[i], changes[i + 1]));
        }

        return ["train", .. options.SelectMany(option => new[] { option.Name, option.Value })];
    }

    public static TheoryData<string, string[], int, string> Cases => new()
    {
        { "summary without a model", ["summary"], 2, "Required argument 'model' missing" },
        { "summary of an unknown model", ["summary", "resnet19"], 2, "Unknown model 'resnet19'" },
        { "summary with zero classes", ["summary", "resnet18", "--num-classes", "0"], 2, "--num-classes must be 1 to 100,000; got 0" },
        { "summary with a word for a number", ["summary", "resnet18", "--num-classes", "ten"], 2, "'ten'" },
        { "summary with negative channels", ["summary", "resnet18", "--in-channels", "-1"], 2, "--in-channels must be 1 to 256; got -1" },
        { "summary with a zero image size", ["summary", "lenet5", "--image-size", "0"], 2, "--image-size must be 1 to 2,048; got 0" },
        { "an unknown option", ["summary", "resnet18", "--colour", "red"], 2, "--colour" },
        { "an unknown command", ["fit"], 2, "'fit'" },
        { "train with an unknown dataset", ["train", "--model", "simplecnn", "--dataset", "imagenet", "--out", P("out")], 2, "Unknown dataset 'imagenet'" },
        { "train with an unknown model", Train("--model", "resnet19"), 2, "unknown model 'resnet19'" },
        { "train with zero epochs", Train("--epochs", "0"), 2, "--epochs must be at least 1; got 0" },
        { "train with negative epochs", Train("--epochs", "-3"), 2, "--epochs must be at least 1; got -3" },
        { "train with a zero batch size", Train("--batch-size", "0"), 2, "--batch-size must be auto or a whole number from 1 to 65,536; got '0'." },
        { "train with a zero learning rate", Train("--lr", "0"), 2, "--lr must be a number above 0 or auto; got '0'." },
        { "train with a negative learning rate", Train("--lr", "-0.1"), 2, "--lr must be a number above 0 or auto; got '-0.1'." },
        { "train with label smoothing of 1", Train("--label-smoothing", "1"), 2, "--label-smoothing must be in [0, 1); got 1" },
        { "train with negative workers", Train("--workers", "-1"), 2, "--workers must be 0 to " },
        { "train with a zero image size", Train("--image-size", "0"), 2, "--image-size must be 1 to 2,048; got 0" },
        { "train with an image size below the model's smallest", Train("--image-size", "7"), 2, "--image-size must be at least 8 for simplecnn" },
        { "train with far more threads than cores", Train("--threads", "100000"), 2, "--threads must be 1 to " },
        { "train with a validation share too small for each class", Train("--val-split", "0.05"), 2, "--val-split 0.05 leaves class '" },
        { "train with a validation share of 1.5", Train("--val-split", "1.5"), 2, "--val-split must be between 0 and 1" },
        { "train with an unknown optimizer", Train("--optimizer", "lbfgs"), 2, "--optimizer must be adam, adamw or sgd; got 'lbfgs'" },
        { "train on a missing folder", ["train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", P("nowhere"), "--out", P("out")], 1, $"'{P("nowhere")}' does not exist" },
        { "train on an empty folder", ["train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", P("empty"), "--out", P("out")], 1, "has no class subfolders" },
        { "train on a file", ["train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", P("file.txt"), "--out", P("out")], 1, $"'{P("file.txt")}' is a file" },
        { "train into a file", Train("--out", P("file.txt")), 1, $"--out '{P("file.txt")}' is a file" },
        { "train resuming from a missing checkpoint", Train("--resume", P("missing.ckpt")), 1, $"'{P("missing.ckpt")}' does not exist" },
        { "train resuming from a text file", Train("--resume", P("file.txt")), 1, $"'{P("file.txt")}' is not a CnnClassify checkpoint" },
        { "train from unknown published weights", Train("--model", "resnet18", "--pretrained", "IMAGENET1K_V9"), 2, "has no weights 'IMAGENET1K_V9'" },
        { "evaluate a missing checkpoint", ["evaluate", "--checkpoint", P("missing.ckpt"), "--dataset", "imagefolder", "--data", P("data"), "--out", P("eval")], 1, $"'{P("missing.ckpt")}' does not exist" },
        { "evaluate an image as a checkpoint", ["evaluate", "--checkpoint", P("photo.png"), "--dataset", "imagefolder", "--data", P("data"), "--out", P("eval")], 1, "is not a CnnClassify checkpoint" },
        { "predict with nothing to predict with", ["predict", P("photo.png")], 2, "Give --checkpoint CKPT" },
        { "predict without images", ["predict", "--model", "resnet18", "--pretrained"], 2, "Give at least one image file" },
        { "predict a missing image", ["predict", "--model", "simplecnn", "--weights", P("missing.pth"), "--num-classes", "2", P("photo.png")], 1, $"'{P("missing.pth")}' does not exist" },
        { "predict with zero top classes", ["predict", "--checkpoint", P("missing.ckpt"), "--top", "0", P("photo.png")], 2, "--top must be at least 1" },
        { "list weights of a model without any", ["weights", "simplecnn"], 2, "No published weights for 'simplecnn'" },
        { "train with progressive resizing below the model's smallest input", Train("--progressive-resize", "4"), 2, "--progressive-resize must be at least 8 for simplecnn" },
        { "train with progressive resizing above the input size", Train("--progressive-resize", "64"), 2, "--progressive-resize must be from 8 to the input size (16); got 64." },
        { "train with progressive resizing a flattening model cannot take", Train("--progressive-resize", "8", "--epochs", "4"), 1, "Progressive resizing: the model does not take 8x8 inputs" },
        { "audit with one fold", ["audit", "--data", P("data"), "--folds", "1", "--out", P("audit")], 2, "--folds must be 2 to 20; got 1" },
        { "audit with more differing bits than allowed", ["audit", "--data", P("data"), "--duplicate-bits", "17", "--out", P("audit")], 2, "--duplicate-bits must be 0 to 16; got 17" },
        { "audit with a negative thumbnail difference", ["audit", "--data", P("data"), "--duplicate-difference", "-1", "--out", P("audit")], 2, "--duplicate-difference must be" },
        { "audit showing no suspects", ["audit", "--data", P("data"), "--top", "0", "--out", P("audit")], 2, "--top must be 1 to 1,000; got 0" },
        { "audit with zero epochs", ["audit", "--data", P("data"), "--epochs", "0", "--out", P("audit")], 2, "--epochs must be 1 to 1,000; got 0" },
        { "audit a missing folder", ["audit", "--data", P("nowhere"), "--out", P("audit")], 2, $"--data '{P("nowhere")}' is not a folder" },
        { "audit with an unknown model", ["audit", "--data", P("data"), "--model", "resnet19", "--out", P("audit")], 2, "--model 'resnet19' is not in the zoo" },
        { "audit with more folds than the data fills", ["audit", "--data", P("data"), "--folds", "5", "--out", P("audit")], 2, "--folds 5 needs at least 10 images" },
        { "audit with a checkpoint and fold options", ["audit", "--data", P("data"), "--checkpoint", P("missing.ckpt"), "--epochs", "3", "--out", P("audit")], 2, "--epochs sets up the fold models; with --checkpoint" },
        { "audit with an image size below any model's", ["audit", "--data", P("data"), "--image-size", "4", "--out", P("audit")], 2, "--image-size must be 8 to 1,024; got 4" },
        { "audit with a zero batch size", ["audit", "--data", P("data"), "--batch-size", "0", "--out", P("audit")], 2, "--batch-size must be 1 to 4,096; got 0" },
        { "audit with a zero learning rate", ["audit", "--data", P("data"), "--lr", "0", "--out", P("audit")], 2, "--lr must be a number above 0; got 0" },
        { "audit into a file", ["audit", "--data", P("data"), "--out", P("file.txt")], 1, $"--out '{P("file.txt")}' is a file" },
        { "audit with a missing checkpoint", ["audit", "--data", P("data"), "--checkpoint", P("missing.ckpt"), "--out", P("audit")], 1, $"'{P("missing.ckpt")}' does not exist" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_wrong_input_gets_one_line_naming_it_and_its_exit_code(string situation, string[] args, int exitCode, string message)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await CliApp.RunAsync(args, output, error);

        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(code == exitCode, $"{situation}: exit {code}, expected {exitCode}: {error}");
        Assert.True(lines.Length == 1, $"{situation}: {lines.Length} lines: {error}");
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(message, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predicting_unusable_images_names_each_file()
    {
        using var model = CnnClassify.Models.ModelZoo.Create("simplecnn", numClasses: 2);
        var weights = P("weights.safetensors");
        CnnClassify.Serialization.WeightLoading.SaveSafetensors(model, weights);

        foreach (var image in new[] { P("missing.png"), P("text.png"), P("empty.png"), P("empty") })
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var code = await CliApp.RunAsync(["predict", "--model", "simplecnn", "--weights", weights, "--num-classes", "2", image], output, error);

            Assert.True(code == 1, $"{image}: exit {code}: {error}");
            Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(image, error.ToString(), StringComparison.Ordinal);
        }
    }
}
