using System.Text;
using System.Text.Json.Nodes;
using CnnClassify.Models;
using Xunit.Abstractions;

namespace CnnClassify.Tests.Hostile;

/// <summary>
/// Hostile and unlucky inputs, each made small on disk by the test and run through the CLI or the
/// ONNX sample as a child process under a 30 s limit and a 1 GiB memory cap: each ends in time,
/// within the cap, with exit 1 (or 2 for an option) and one line that names the input, and leaves
/// the cache and output folders as they were.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class HostileInputTests(HostileFixture fixture, ITestOutputHelper output) : IClassFixture<HostileFixture>
{
    private const string Cli = "CnnClassify.Cli.dll";
    private const string OnnxSample = "OnnxDeploy.dll";

    public static TheoryData<string> Cases => new()
    {
        "1 onnx metadata asks for a 20000x20000 input",
        "1 onnx metadata disagrees with the graph",
        "1 onnx metadata has a standard deviation of 0",
        "1 onnx file is not a model",
        "1 checkpoint asks for a 100000-pixel input",
        "1 checkpoint asks for 4,000,000 classes",
        "1 checkpoint weights inflate 1000-fold",
        "1 checkpoint trainer.json is 64 MiB of padding",
        "3 pth pickle inflates to 100 MB of instructions",
        "4 pth pickle hides os.system behind a shifted memo",
        "5 jpg is a 20-page TIFF of 6000x6000",
        "5 TIFF has a 1x1 page and a 20000x20000 page",
        "7 validation split too small for each class",
        "8 summary with 2,000,000,000 classes",
        "8 summary with a 100000-pixel input",
        "8 summary with an input below the model's smallest",
        "8 onecycle with one step",
        "8 export to an empty path",
        "8 int8 export keeping a layer the model lacks",
        "8 onnx sample given an image that is not one",
        "9 JPEG cut in half",
        "9 resume onto data with other classes",
        "9 threads far above the cores",
        "2 class folder links back to the image folder",
        "2 class folder links outside the image folder",
        "11 builder checkpoint with 100,001 layers",
        "11 builder checkpoint with a convolution of a billion channels",
        "11 safetensors of 1,000,000 empty tensors",
    };

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void A_hostile_input_ends_in_time_within_memory_with_one_line_naming_it(string name)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "memory is sampled from /proc, which only Linux has");
        var folder = fixture.CaseFolder(name.Replace(' ', '-').Replace(',', '_'));
        var hostile = Prepare(name, folder);
        var before = Snapshot(hostile.Watched);

        var result = ChildRun.Run(hostile.Assembly, hostile.Arguments, hostile.Environment);

        output.WriteLine(result.ToString());
        Assert.True(result.KilledFor is null, $"killed for {result.KilledFor}");
        Assert.True(result.Elapsed < ChildRun.TimeLimit, $"took {result.Elapsed.TotalSeconds:F1} s");
        Assert.True(result.PeakResidentBytes < ChildRun.MemoryCap, $"peak {result.PeakResidentBytes / 1e6:F0} MB");
        Assert.Equal(hostile.Exit, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        foreach (var fragment in hostile.Fragments)
        {
            Assert.Contains(fragment, line, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(hostile.Watched));
    }

    [SkippableFact]
    public void A_download_that_stalls_trickles_or_never_ends_is_cut_off_and_leaves_nothing_in_the_cache()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "memory is sampled from /proc, which only Linux has");
        var weights = WeightCatalog.Get("resnet18");
        foreach (var (behaviour, fragment) in new[] { (ServerBehaviour.Silent, "did not answer within"), (ServerBehaviour.Trickle, "below the minimum"), (ServerBehaviour.Endless, "more than this file can take") })
        {
            var home = fixture.CaseFolder($"download-{behaviour}");
            var cache = Directory.CreateDirectory(Path.Combine(home, "hub", "checkpoints")).FullName;
            using var server = new LocalServer(behaviour);

            var result = ChildRun.Run(Cli, ["predict", "--model", "resnet18", "--pretrained", fixture.Image], Download(home, server));

            output.WriteLine($"{behaviour}: {result}");
            Assert.True(result.KilledFor is null, $"{behaviour}: killed for {result.KilledFor}");
            Assert.Equal(1, result.ExitCode);
            var line = Assert.Single(result.ErrorLines);
            Assert.Contains(weights.FileName, line, StringComparison.Ordinal);
            Assert.Contains(fragment, line, StringComparison.Ordinal);
            Assert.True(result.PeakResidentBytes < ChildRun.MemoryCap, $"peak {result.PeakResidentBytes / 1e6:F0} MB");
            Assert.Empty(Directory.GetFiles(cache));
        }
    }

    [SkippableFact]
    public void A_partial_file_left_by_a_killed_download_is_removed_by_the_next_and_ctrl_c_removes_its_own()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the test sends SIGINT, a Unix signal");
        var weights = WeightCatalog.Get("resnet18");
        var home = fixture.CaseFolder("download-leftovers");
        var cache = Directory.CreateDirectory(Path.Combine(home, "hub", "checkpoints")).FullName;
        var abandoned = Path.Combine(cache, $"{weights.FileName}.{Guid.NewGuid():N}.partial");
        var recent = Path.Combine(cache, $"{weights.FileName}.{Guid.NewGuid():N}.partial");
        var foreign = Path.Combine(cache, "notes.partial");
        foreach (var file in new[] { abandoned, recent, foreign })
        {
            File.WriteAllText(file, "partial");
        }

        File.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow.AddHours(-1));
        File.SetLastWriteTimeUtc(foreign, DateTime.UtcNow.AddHours(-1));

        using (var missing = new LocalServer(ServerBehaviour.NotFound))
        {
            var result = ChildRun.Run(Cli, ["predict", "--model", "resnet18", "--pretrained", fixture.Image], Download(home, missing));
            output.WriteLine(result.ToString());
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("404", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        }

        Assert.False(File.Exists(abandoned), "the abandoned partial file is still there");
        Assert.True(File.Exists(recent), "a partial file another download may still be writing was removed");
        Assert.True(File.Exists(foreign), "a file of another name was removed");

        File.Delete(recent);
        using var trickle = new LocalServer(ServerBehaviour.Trickle);
        // The wait for the download to start is as long as the time limit allows, since a loaded
        // machine can take many seconds to start the child; the stall limit is longer than both.
        var interrupted = ChildRun.Run(Cli, ["predict", "--model", "resnet18", "--pretrained", fixture.Image], Download(home, trickle, stallSeconds: 60), process =>
        {
            // Once the download has started (its partial file exists), Ctrl-C.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!Directory.EnumerateFiles(cache, $"{weights.FileName}.*.partial").Any() && clock.Elapsed < TimeSpan.FromSeconds(25))
            {
                Thread.Sleep(20);
            }

            using var kill = System.Diagnostics.Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        });

        output.WriteLine(interrupted.ToString());
        Assert.True(interrupted.KilledFor is null, $"killed for {interrupted.KilledFor}");
        Assert.Equal(130, interrupted.ExitCode);
        Assert.Equal(["cancelled."], interrupted.ErrorLines);
        Assert.Equal(["notes.partial"], Directory.GetFiles(cache).Select(Path.GetFileName));
    }

    [SkippableFact]
    public void Training_escapes_class_names_warns_of_images_that_fail_to_decode_and_removes_only_its_own_leftovers()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "folder names with control characters are a Unix matter, and memory is sampled from /proc");
        var dir = fixture.CaseFolder("escapes-warnings-leftovers");
        var data = CopyData(dir);
        const string Evil = "\u001b[2Jevil\u001b]0;pwned\u0007";
        Directory.Move(Path.Combine(data, "triangle"), Path.Combine(data, Evil));
        // A JPEG cut short: its header reads, so it is indexed; its pixels do not, so loading skips it.
        var whole = Path.Combine(dir, "whole.jpg");
        using (var photo = Data.TestImages.Pattern(64, 48, seed: 3))
        {
            SixLabors.ImageSharp.ImageExtensions.Save(photo, whole, new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 90 });
        }

        HostileFiles.Truncated(whole, Path.Combine(data, "circle", "broken.jpg"));
        var outDir = Directory.CreateDirectory(Path.Combine(dir, "out")).FullName;
        var foreign = Path.Combine(outDir, $".notes.txt.{Guid.NewGuid():N}.tmp");
        var stale = Path.Combine(outDir, $".last.ckpt.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(foreign, "another program's");
        File.WriteAllText(stale, "a killed run's");

        var train = ChildRun.Run(Cli, ["train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", data, "--image-size", "16", "--epochs", "1", "--val-split", "0.25", "--amp", "none", "--out", outDir]);
        var predict = ChildRun.Run(Cli, ["predict", "--checkpoint", Path.Combine(outDir, "last.ckpt"), fixture.Image, "--top", "3"]);

        output.WriteLine(train.ToString());
        output.WriteLine(predict.ToString());
        Assert.Equal((0, 0), (train.ExitCode, predict.ExitCode));
        Assert.DoesNotContain('\u001b', train.Output + train.Error + predict.Output + predict.Error);
        Assert.DoesNotContain('\u0007', train.Output + train.Error + predict.Output + predict.Error);
        Assert.Contains("\\x1b[2Jevil\\x1b]0;pwned\\x07", predict.Output, StringComparison.Ordinal);
        Assert.Contains(train.Output.Split('\n'), line => line.StartsWith("warning: Skipping sample ", StringComparison.Ordinal) && line.Contains("broken.jpg", StringComparison.Ordinal) && line.Contains("truncated", StringComparison.Ordinal));
        Assert.True(File.Exists(foreign), "another program's temporary file was removed");
        Assert.False(File.Exists(stale), "the killed run's temporary file is still there");
    }

    private static Dictionary<string, string> Download(string home, LocalServer server, int stallSeconds = 2) => new()
    {
        ["TORCH_HOME"] = home,
        ["CNNCLASSIFY_WEIGHTS_URL"] = server.Url,
        ["CNNCLASSIFY_DOWNLOAD_STALL_SECONDS"] = stallSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private sealed record Hostile(string Assembly, string[] Arguments, int Exit, string[] Fragments, string[] Watched, Dictionary<string, string>? Environment = null);

    private Hostile Prepare(string name, string dir)
    {
        var image = fixture.Image;
        var checkpoint = fixture.Checkpoint;
        var outDir = Path.Combine(dir, "out");
        Hostile Predict(string file, int exit, params string[] fragments) => new(Cli, ["predict", "--checkpoint", file, image], exit, [file, .. fragments], [dir]);
        Hostile Onnx(string file, string photo, params string[] fragments) => new(OnnxSample, [file, photo], 1, fragments, [dir]);
        Hostile Weights(string file, params string[] fragments) => new(Cli, ["predict", "--model", "simplecnn", "--weights", file, "--num-classes", "3", "--size", "16", image], 1, [file, .. fragments], [dir]);
        Hostile Train(string data, int exit, string[] extra, params string[] fragments) =>
            new(Cli, ["train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", data, "--image-size", "16", "--epochs", "1", "--amp", "none", "--out", outDir, .. extra], exit, fragments, [dir, fixture.Data]);

        switch (name)
        {
            case "1 onnx metadata asks for a 20000x20000 input":
                return Onnx(HostileFiles.EditOnnx(fixture.Onnx, Path.Combine(dir, "huge.onnx"), c => (c["input_height"], c["input_width"]) = (20000, 20000)), image, "huge.onnx", "20,000x20,000");
            case "1 onnx metadata disagrees with the graph":
                return Onnx(HostileFiles.EditOnnx(fixture.Onnx, Path.Combine(dir, "other.onnx"), c => (c["input_height"], c["input_width"]) = (32, 32)), image, "other.onnx", "its graph takes input");
            case "1 onnx metadata has a standard deviation of 0":
                return Onnx(HostileFiles.EditOnnx(fixture.Onnx, Path.Combine(dir, "flat.onnx"), c => c["preprocessing"]!["std"] = new JsonArray(0.0, 0.2, 0.2)), image, "flat.onnx", "standard deviation is 0");
            case "1 onnx file is not a model":
                File.WriteAllBytes(Path.Combine(dir, "noise.onnx"), [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251))]);
                return Onnx(Path.Combine(dir, "noise.onnx"), image, "noise.onnx");
            case "1 checkpoint asks for a 100000-pixel input":
                return Predict(HostileFiles.EditCheckpoint(checkpoint, Path.Combine(dir, "wide.ckpt"), s => (s["model"]!["input_height"], s["model"]!["input_width"]) = (100000, 100000)), 1, "100,000x100,000");
            case "1 checkpoint asks for 4,000,000 classes":
                return Predict(HostileFiles.EditCheckpoint(checkpoint, Path.Combine(dir, "many.ckpt"), s => (s["model"]!["num_classes"], s["model"]!["class_names"]) = (4_000_000, new JsonArray())), 1, "4,000,000");
            case "1 checkpoint weights inflate 1000-fold":
                return Predict(HostileFiles.ReplaceEntry(checkpoint, Path.Combine(dir, "bomb.ckpt"), "model.safetensors", 256L << 20, 0), 1, "model.safetensors", "inflates");
            case "1 checkpoint trainer.json is 64 MiB of padding":
                return Predict(HostileFiles.ReplaceEntry(checkpoint, Path.Combine(dir, "padded.ckpt"), "trainer.json", 64L << 20, (byte)' '), 1, "trainer.json", "16,777,216");
            case "3 pth pickle inflates to 100 MB of instructions":
                return Weights(HostileFiles.TorchZip(Path.Combine(dir, "bomb.pth"), s =>
                {
                    s.Write([0x80, 0x02]);
                    for (var i = 0; i < 100; i++)
                    {
                        s.Write(Encoding.ASCII.GetBytes(new string('N', 1 << 20).Replace("NN", "N0")));
                    }

                    s.Write("N."u8);
                }), "data.pkl", "inflates to");
            case "4 pth pickle hides os.system behind a shifted memo":
                return Weights(HostileFiles.TorchZip(Path.Combine(dir, "shifted.pth"), s => s.Write(
                [
                    0x80, 0x04, 0x8c, 2, .. "os"u8, .. "p0\n"u8, 0x8c, 11, .. "collections"u8, 0x94, 0x8c, 6, .. "system"u8, 0x94,
                    0x8c, 11, .. "OrderedDict"u8, 0x94, (byte)'h', 0, (byte)'h', 2, 0x93, 0x8c, 4, .. "true"u8, 0x85, (byte)'R', (byte)'.',
                ])), "os.system", "Nothing in it was run");
            case "5 jpg is a 20-page TIFF of 6000x6000":
                return Predict(checkpoint, 1, "TIFF of 20 pages") with { Arguments = ["predict", "--checkpoint", checkpoint, HostileFiles.Tiff(Path.Combine(dir, "pages.jpg"), [.. Enumerable.Repeat((6000, 6000), 20)])], Fragments = ["pages.jpg", "TIFF of 20 pages"] };
            case "5 TIFF has a 1x1 page and a 20000x20000 page":
                return Predict(checkpoint, 1) with { Arguments = ["predict", "--checkpoint", checkpoint, HostileFiles.Tiff(Path.Combine(dir, "hidden.tif"), (1, 1), (20000, 20000))], Fragments = ["hidden.tif", "TIFF of 2 pages"] };
            case "7 validation split too small for each class":
                return Train(fixture.Data, 2, ["--val-split", "0.01"], "--val-split 0.01", "without a test image");
            case "8 summary with 2,000,000,000 classes":
                return new(Cli, ["summary", "resnet18", "--num-classes", "2000000000"], 2, ["--num-classes", "100,000"], [dir]);
            case "8 summary with a 100000-pixel input":
                return new(Cli, ["summary", "resnet18", "--image-size", "100000"], 2, ["--image-size", "2,048"], [dir]);
            case "8 summary with an input below the model's smallest":
                return new(Cli, ["summary", "lenet5", "--image-size", "4"], 2, ["--image-size must be at least 12 for lenet5"], [dir]);
            case "8 onecycle with one step":
                return Train(fixture.Data, 2, ["--scheduler", "onecycle", "--batch-size", "64", "--val-split", "0.25"], "--scheduler onecycle", "gives 1");
            case "8 export to an empty path":
                return new(Cli, ["export", "--checkpoint", checkpoint, "--out", ""], 2, ["--out"], [dir, Path.GetDirectoryName(checkpoint)!]);
            case "8 int8 export keeping a layer the model lacks":
                return new(Cli, ["export", "--checkpoint", checkpoint, "--out", Path.Combine(dir, "m.onnx"), "--int8", "--calibration", fixture.Data, "--keep-float", "layer9"], 2, ["'layer9'", "does not have"], [dir, fixture.Data]);
            case "8 onnx sample given an image that is not one":
                File.WriteAllText(Path.Combine(dir, "notes.png"), "not an image");
                return Onnx(fixture.Onnx, Path.Combine(dir, "notes.png"), "notes.png");
            case "9 JPEG cut in half":
                using (var photo = TestImagesJpeg())
                {
                    var whole = Path.Combine(dir, "whole.jpg");
                    SixLabors.ImageSharp.ImageExtensions.Save(photo, whole, new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 90 });
                    return Predict(checkpoint, 1) with { Arguments = ["predict", "--checkpoint", checkpoint, HostileFiles.Truncated(whole, Path.Combine(dir, "half.jpg"))], Fragments = ["half.jpg", "truncated"] };
                }

            case "9 resume onto data with other classes":
            {
                var other = Path.Combine(dir, "other");
                foreach (var c in new[] { "cat", "dog", "fox" })
                {
                    for (var i = 0; i < 4; i++)
                    {
                        Data.TestImages.Write(Path.Combine(other, c, $"{i}.png"), 16, 16, seed: i);
                    }
                }

                return Train(other, 1, ["--resume", checkpoint, "--val-split", "0.25"], "--resume", "circle, square, triangle", "cat, dog, fox") with { Watched = [dir, Path.GetDirectoryName(checkpoint)!] };
            }

            case "9 threads far above the cores":
                return Train(fixture.Data, 2, ["--threads", "100000"], "--threads");
            case "2 class folder links back to the image folder":
            {
                var data = CopyData(dir);
                File.CreateSymbolicLink(Path.Combine(data, "circle", "loop"), "..");
                return Train(data, 1, [], "loop", "inside the image folder");
            }

            case "2 class folder links outside the image folder":
            {
                var data = CopyData(dir);
                Directory.CreateSymbolicLink(Path.Combine(data, "square", "more"), fixture.Data);
                return Train(data, 1, [], "more", "outside the image folder", "--follow-links");
            }

            case "11 builder checkpoint with 100,001 layers":
                return Predict(HostileFiles.EditCheckpoint(checkpoint, Path.Combine(dir, "deep.ckpt"), s =>
                {
                    s["model"]!["architecture"] = null;
                    s["model"]!["layers"] = new JsonObject
                    {
                        ["input_shape"] = new JsonArray(3, 16, 16),
                        ["layers"] = new JsonArray([.. Enumerable.Range(0, 100_001).Select(i => (JsonNode)new JsonObject { ["kind"] = "Activation", ["name"] = $"r{i}", ["arguments"] = new JsonObject { ["name"] = "ReLU" } })]),
                    };
                }), 1, "100,001 layers");
            case "11 builder checkpoint with a convolution of a billion channels":
                return Predict(HostileFiles.EditCheckpoint(checkpoint, Path.Combine(dir, "wide.ckpt"), s =>
                {
                    s["model"]!["architecture"] = null;
                    s["model"]!["layers"] = JsonNode.Parse("""
                        {"input_shape": [3, 16, 16], "layers": [
                          {"name": "conv1", "layer": {"kind": "Conv", "out_channels": 1000000000, "kernel": 3}},
                          {"name": "flatten1", "layer": {"kind": "Flatten"}}]}
                        """);
                }), 1, "parameters");
            case "11 safetensors of 1,000,000 empty tensors":
                return Weights(HostileFiles.EmptyTensors(Path.Combine(dir, "empty.safetensors"), 1_000_000), "200,000 tensors");
            default:
                throw new ArgumentException(name);
        }
    }

    private string CopyData(string dir)
    {
        var data = Path.Combine(dir, "data");
        foreach (var file in Directory.GetFiles(fixture.Data, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(data, Path.GetRelativePath(fixture.Data, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        return data;
    }

    private static SixLabors.ImageSharp.Image TestImagesJpeg() => Data.TestImages.Pattern(160, 120, seed: 5);

    // Every file under the folders, with its size and last write time.
    private static string Snapshot(IEnumerable<string> folders) => string.Join("\n", folders
        .Where(Directory.Exists)
        .SelectMany(f => Directory.EnumerateFiles(f, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        .Order(StringComparer.Ordinal)
        .Select(f => $"{f} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f):O}"));
}
