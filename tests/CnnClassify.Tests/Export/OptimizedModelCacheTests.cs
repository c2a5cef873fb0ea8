using CnnClassify.Export;
using CnnClassify.Models;
using CnnClassify.Onnx;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;

namespace CnnClassify.Tests.Export;

/// <summary>ONNX Runtime's optimized graph kept on disk: written once, read back with the same answers, rebuilt when damaged.</summary>
public sealed class OptimizedModelCacheTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("optimized-cache-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_second_predictor_reads_the_cached_graph_and_answers_as_the_first_and_a_damaged_entry_is_rebuilt()
    {
        torch.manual_seed(8);
        using var model = new SimpleCnn(numClasses: 4, inChannels: 1);
        model.Configuration = model.Configuration with { InputHeight = 28, InputWidth = 28, ClassNames = ["a", "b", "c", "d"] };
        var path = Path.Combine(_directory, "model.onnx");
        model.ExportOnnx(path);
        var image = Path.Combine(_directory, "image.png");
        using (var png = new Image<L8>(31, 25))
        {
            png.ProcessPixelRows(rows =>
            {
                for (var y = 0; y < rows.Height; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (var x = 0; x < row.Length; x++)
                    {
                        row[x] = new L8((byte)((x * 37) + (y * 11)));
                    }
                }
            });
            png.SaveAsPng(image);
        }

        var cache = Path.Combine(_directory, "cache");
        var options = new OnnxPredictorOptions { OptimizedModelCache = cache };
        double[] expected;
        using (var plain = new OnnxPredictor(path))
        {
            expected = [.. plain.Predict(image).Probabilities];
        }

        using (var first = new OnnxPredictor(path, options))
        {
            AssertClose(expected, first.Predict(image).Probabilities);
        }

        var entry = Assert.Single(Directory.GetFiles(cache));
        Assert.EndsWith(".optimized.onnx", entry, StringComparison.Ordinal);
        var written = File.GetLastWriteTimeUtc(entry);

        using (var second = new OnnxPredictor(path, options))
        {
            Assert.Equal(["a", "b", "c", "d"], second.ClassNames);
            AssertClose(expected, second.Predict(image).Probabilities);
        }

        Assert.Equal(written, File.GetLastWriteTimeUtc(Assert.Single(Directory.GetFiles(cache))));

        File.WriteAllBytes(entry, [1, 2, 3]);
        using (var rebuilt = new OnnxPredictor(path, options))
        {
            AssertClose(expected, rebuilt.Predict(image).Probabilities);
        }

        Assert.True(new FileInfo(Assert.Single(Directory.GetFiles(cache))).Length > 3, "the damaged entry was not rebuilt");

        // Another level of optimization is another entry.
        using (var basic = new OnnxPredictor(path, options with { GraphOptimization = OnnxGraphOptimization.Basic }))
        {
            AssertClose(expected, basic.Predict(image).Probabilities);
        }

        Assert.Equal(2, Directory.GetFiles(cache).Length);
    }

    private static void AssertClose(double[] expected, IReadOnlyList<double> actual) =>
        Assert.All(expected.Zip(actual), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-6, $"expected {p.First}, got {p.Second}"));
}
