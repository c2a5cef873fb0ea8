using System.Text.Json;
using System.Text.Json.Nodes;
using CnnClassify.Data;
using CnnClassify.Inference;
using CnnClassify.Models;
using CnnClassify.Serialization;
using CnnClassify.Training;
using TorchSharp;

namespace CnnClassify.Tests.Hostile;

/// <summary>The checks behind the hostile-input suite, one at a time, against independent truth where there is one.</summary>
public sealed class InputCheckTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-checks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void A_JPEG_is_refused_exactly_where_PIL_refuses_it_cut_short()
    {
        var (code, output) = PythonProcess.Run(RepositoryPaths.Combine("tests", "CnnClassify.Tests", "Hostile", "truncated_jpeg_reference.py"), _dir);
        Skip.If(code != 0 && !PythonProcess.InRoot, $"PIL is not available: {output}");
        Assert.True(code == 0, output);
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "expected.json")))!.AsObject();
        var decoder = new ImageDecoder(ColorMode.Rgb);
        var scaled = new ImageDecoder(ColorMode.Rgb, decodeSize: DecodeSize.ShortSide(32));

        Assert.True(expected.Count >= 40, $"only {expected.Count} files");
        foreach (var (file, loads) in expected)
        {
            var path = Path.Combine(_dir, file);
            using var stream = File.OpenRead(path);
            Assert.True(JpegCompleteness.IsComplete(stream) == loads!.GetValue<bool>(), $"{file}: PIL {(loads.GetValue<bool>() ? "loads" : "refuses")} it");
            Assert.Equal(0, stream.Position);
            foreach (var way in new[] { decoder, scaled })
            {
                if (loads.GetValue<bool>())
                {
                    using var image = way.Decode(path);
                }
                else
                {
                    // Cut inside the scan: "truncated"; cut inside the header: the header check's own words.
                    Assert.Throws<InvalidImageException>(() => way.Decode(path));
                }
            }
        }
    }

    [Fact]
    public void A_thumbnails_end_marker_inside_a_segment_does_not_make_a_cut_JPEG_whole()
    {
        // SOI, an APP1 segment holding a whole tiny JPEG (SOI ... EOI), a scan header, scan data cut short.
        byte[] thumbnail = [0xFF, 0xD8, 0xFF, 0xD9];
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE1, 0x00, (byte)(2 + thumbnail.Length), .. thumbnail, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56];

        Assert.False(JpegCompleteness.IsComplete(new MemoryStream(jpeg)));
        Assert.True(JpegCompleteness.IsComplete(new MemoryStream([.. jpeg, 0xFF, 0xFF, 0xD9])));
    }

    [Fact]
    public void Text_from_files_prints_with_its_control_and_invisible_characters_escaped()
    {
        Assert.Equal("\\x1b[2Jcat\\x1b]0;t\\x07", TerminalText.Escape("\u001b[2Jcat\u001b]0;t\u0007"));
        Assert.Equal("a\\x9b31mb", TerminalText.Escape("a\u009b31mb"));
        Assert.Equal("gpj.\\u202eexe", TerminalText.Escape("gpj.\u202eexe"));
        Assert.Equal("line\\x0anext\\x0d", TerminalText.Escape("line\nnext\r"));
        Assert.Equal("chat 🐈 café", TerminalText.Escape("chat 🐈 café"));
        Assert.Equal("lone \\ud800", TerminalText.Escape("lone \ud800"));
    }

    [Fact]
    public void Non_finite_metrics_survive_a_round_trip_through_a_checkpoints_JSON()
    {
        List<EpochMetrics> history = [new() { Epoch = 0, TrainLoss = double.PositiveInfinity, ValidationLoss = double.NaN, ValidationAccuracy = double.NaN, LearningRate = 1e-3 }];
        var stopping = new EarlyStopping(3, Metric.ValidationLoss);
        stopping.LoadState(new JsonObject { ["best_value"] = "-Infinity", ["best_epoch"] = 0, ["epochs_without_improvement"] = 1 });

        var json = JsonSerializer.Serialize(history, JsonNumbers.Options);
        var back = JsonSerializer.Deserialize<List<EpochMetrics>>(json, JsonNumbers.Options)!;

        Assert.Contains("\"NaN\"", json, StringComparison.Ordinal);
        Assert.Equal(double.PositiveInfinity, back[0].TrainLoss);
        Assert.True(double.IsNaN(back[0].ValidationLoss!.Value));
        Assert.Equal(double.NegativeInfinity, stopping.BestValue);
        Assert.Contains("\"best_value\": \"-Infinity\"", stopping.SaveState().ToJsonString(JsonNumbers.Options), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lenet5")]
    [InlineData("simplecnn")]
    [InlineData("googlenet")]
    [InlineData("densenet121")]
    [InlineData("inception_v3")]
    [InlineData("squeezenet1_0")]
    [InlineData("squeezenet1_1")]
    [InlineData("convnext_tiny")]
    public void A_models_smallest_input_runs_and_one_pixel_less_does_not(string name)
    {
        var smallest = ModelZoo.MinimumImageSize(name);
        using var scope = torch.NewDisposeScope();
        using var model = ModelZoo.Create(name, new ModelOptions { NumClasses = 3, ImageSize = smallest });
        model.eval();
        var channels = model.Configuration.InChannels;

        using (torch.no_grad())
        {
            Assert.Equal([1L, 3], model.forward(torch.zeros(1, channels, smallest, smallest)).shape);
            Assert.ThrowsAny<Exception>(() =>
            {
                using var smaller = ModelZoo.Create(name, new ModelOptions { NumClasses = 3, ImageSize = smallest - 1 });
                smaller.eval();
                smaller.forward(torch.zeros(1, channels, smallest - 1, smallest - 1));
            });
        }
    }

    [SkippableFact]
    public void Image_folder_links_are_read_once_and_followed_out_only_when_asked()
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "symbolic links need no privilege only on Unix");
        var root = Path.Combine(_dir, "root");
        var outside = Path.Combine(_dir, "outside");
        foreach (var c in new[] { "a", "b" })
        {
            Data.TestImages.Write(Path.Combine(root, c, "0.png"), 8, 8, seed: c[0]);
        }

        Data.TestImages.Write(Path.Combine(outside, "extra", "1.png"), 8, 8, seed: 5);
        File.CreateSymbolicLink(Path.Combine(root, "a", "twin.png"), Path.Combine(root, "b", "0.png"));
        File.CreateSymbolicLink(Path.Combine(root, "a", "gone.png"), Path.Combine(_dir, "missing.png"));

        var twin = Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(root));
        File.Delete(Path.Combine(root, "a", "twin.png"));
        Directory.CreateSymbolicLink(Path.Combine(root, "b", "more"), Path.Combine(outside, "extra"));
        var refused = Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(root));
        var followed = new ImageFolderDataset(root, new ImageFolderOptions { FollowLinks = true });
        Directory.CreateSymbolicLink(Path.Combine(outside, "extra", "back"), outside);
        var cycle = Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(root, new ImageFolderOptions { FollowLinks = true }));

        Assert.Contains("inside the image folder", twin.Message, StringComparison.Ordinal);
        Assert.Contains("--follow-links", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["0.png", "0.png", "1.png"], followed.Files.Select(Path.GetFileName));
        Assert.Contains("a cycle of links", cycle.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_folder_reached_through_a_linked_parent_is_still_inside_the_image_folder()
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "symbolic links need no privilege only on Unix");
        var actual = Path.Combine(_dir, "actual");
        foreach (var c in new[] { "a", "b" })
        {
            Data.TestImages.Write(Path.Combine(actual, "root", c, "0.png"), 8, 8, seed: c[0]);
        }

        var alias = Path.Combine(_dir, "alias");
        Directory.CreateSymbolicLink(alias, actual);
        // Given the root through the alias, a link to the real path of another class folder.
        Directory.CreateSymbolicLink(Path.Combine(actual, "root", "a", "more"), Path.Combine(actual, "root", "b"));

        var error = Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(Path.Combine(alias, "root"), new ImageFolderOptions { FollowLinks = true }));

        Assert.Contains("inside the image folder", error.Message, StringComparison.Ordinal);
    }
}
