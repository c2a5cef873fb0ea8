using CnnClassify.Cli;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Evaluation;
using CnnClassify.Models;
using CnnClassify.Tests.Data;
using CnnClassify.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Evaluation;

/// <summary>
/// The label audit: confident learning's thresholds, joint and pruned issues against a hand-worked
/// example; on Fashion-MNIST test images with 2 % of labels flipped by the test, most flips rank
/// in the top 5 %; near-duplicate hashes; and the audit command end to end.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class LabelAuditTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-audit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Confident_learning_matches_the_hand_worked_joint_and_prunes_the_one_mislabelled_sample()
    {
        // Sample 2 is labelled 0 but looks like class 1. By hand: thresholds (0.9 + 0.7 + 0.1) / 3,
        // (0.85 + 0.7) / 2 and 0.8; confident joint rows [2, 1, 0], [0, 1, 0], [0, 0, 2] (sample 4
        // reaches no threshold); row 0 calibrated to its 3 samples keeps one (0 -> 1) issue, the
        // sample with the largest p(1) - p(0).
        float[][] probabilities =
        [
            [0.9f, 0.05f, 0.05f], [0.7f, 0.2f, 0.1f], [0.1f, 0.8f, 0.1f],
            [0.1f, 0.85f, 0.05f], [0.2f, 0.7f, 0.1f],
            [0.1f, 0.1f, 0.8f], [0.05f, 0.15f, 0.8f],
        ];
        var predictions = new PredictionSet(probabilities, [0, 0, 0, 1, 1, 2, 2], [10, 11, 12, 13, 14, 15, 16], ["a", "b", "c"]);

        var audit = LabelAudit.Find(predictions);

        Assert.Equal((0.9 + 0.7 + 0.1) / 3, audit.Thresholds[0], 6);
        Assert.Equal((0.85 + 0.7) / 2, audit.Thresholds[1], 6);
        Assert.Equal(0.8, audit.Thresholds[2], 6);
        long[,] joint = { { 2, 1, 0 }, { 0, 1, 0 }, { 0, 0, 2 } };
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                Assert.Equal(joint[i, j], audit.ConfidentJoint(i, j));
            }
        }

        var issue = Assert.Single(audit.Issues);
        Assert.Equal((1, 12, 0, 1), (issue.Rank, issue.Index, issue.Given, issue.Suggested));
        Assert.Equal([12, 11, 14, 15, 16, 13, 10], audit.Ranked.Select(r => r.Index));
    }

    [SkippableFact]
    public async Task Flipped_labels_of_held_out_images_rank_among_the_most_suspect()
    {
        var (train, test) = await CnnClassify.Tests.Data.FashionMnistSplits.LoadAsync();
        using (train)
        using (test)
        {
            var transform = new Compose(new ToTensor(), Normalize.FashionMnist);
            var slice = DatasetSplit.Split(train, validationFraction: 0.1, seed: 0, stratified: true).Validation; // 6,000 images
            Seeding.Seed(0);
            using var model = new SimpleCnn(numClasses: 10, inChannels: 1);
            Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(1e-3)).UseSeed(0).UsePrecision(CnnClassify.Runtime.Precision.Fp32).Build()
                .Fit(new DataLoader(slice, transform, new DataLoaderOptions { BatchSize = 32, Shuffle = true }), validation: null, epochs: 1);

            // A copy of 2,000 test images (never trained on) with 2 % of labels flipped to another class.
            var heldOut = DatasetSplit.Split(test, validationFraction: 0.2, seed: 0, stratified: true).Validation;
            var random = new Random(7);
            var flipped = Enumerable.Range(0, heldOut.Count).OrderBy(_ => random.Next()).Take(heldOut.Count / 50).ToHashSet();
            var labels = Enumerable.Range(0, heldOut.Count).Select(i => flipped.Contains(i) ? (heldOut.LabelAt(i) + 1 + random.Next(9)) % 10 : heldOut.LabelAt(i)).ToArray();
            var noisy = new Relabelled(heldOut, labels);

            var predictions = PredictionSet.Collect(model, new DataLoader(noisy, transform, new DataLoaderOptions { BatchSize = 500 }), options: new CnnClassify.Runtime.InferenceOptions { Precision = CnnClassify.Runtime.Precision.Fp32 });
            var audit = LabelAudit.Find(predictions);

            var top = audit.Ranked.Take(heldOut.Count / 20).Count(r => flipped.Contains(r.Index));
            var caught = audit.Issues.Count(r => flipped.Contains(r.Index));
            output.WriteLine($"accuracy on the noisy labels {predictions.Accuracy:P2}; {top} of {flipped.Count} flips in the top 5 %; {audit.Issues.Count} issues, {caught} of them flips");
            Assert.True(top >= 0.6 * flipped.Count, $"{top} of {flipped.Count} flipped labels in the top 5 %");
            Assert.True(caught >= 0.6 * flipped.Count, $"confident learning flags {caught} of {flipped.Count} flips");
        }
    }

    [Fact]
    public void The_hash_of_a_left_to_right_ramp_has_every_bit_set_and_its_mirror_none()
    {
        using var ramp = arange(0, 90, dtype: ScalarType.Int64).mul_(2).to(ScalarType.Byte).expand(3, 40, 90).contiguous();
        using var mirrored = ramp.flip(2);

        Assert.Equal(ulong.MaxValue, NearDuplicates.Hash(ramp));
        Assert.Equal(0UL, NearDuplicates.Hash(mirrored));
    }

    [Fact]
    public void A_brightened_copy_with_another_label_is_a_conflicting_duplicate_and_random_images_are_not()
    {
        using var images = randint(0, 200, [6, 1, 24, 20], dtype: ScalarType.Byte, generator: new Generator(3));
        // 20 levels brighter everywhere keeps every neighbouring cell's order, so the hash.
        using var twenty = 20.ToScalar();
        using var brighter = images[0].to(ScalarType.Int32).add(twenty).to(ScalarType.Byte);
        images[3].copy_(brighter);
        var data = new TensorDataset(images, [0, 1, 0, 1, 0, 1], ["a", "b"]);

        var pairs = NearDuplicates.Find(data);

        var pair = Assert.Single(pairs);
        Assert.Equal((0, 3, 0, true), (pair.First, pair.Second, pair.Distance, pair.Conflicting));
        Assert.True(pair.Difference < 0.5, $"the brightened copy's thumbnail differs by {pair.Difference} levels");

        // A stricter limit on the thumbnails than the copy's rounding leaves still finds it; a
        // different picture whose hash matches is turned away by the thumbnails.
        using var stripes = zeros([1, 24, 20], dtype: ScalarType.Byte);
        stripes.narrow(2, 10, 10).fill_(HeldScalars.PixelMax);
        using var softer = zeros([1, 24, 20], dtype: ScalarType.Byte);
        using var hundred = 100.ToScalar();
        softer.narrow(2, 10, 10).fill_(hundred);
        var lookalikes = new TensorDataset(stack([stripes, softer]), [0, 1], ["a", "b"]);
        Assert.Equal(NearDuplicates.Hash(stripes), NearDuplicates.Hash(softer));
        Assert.Empty(NearDuplicates.Find(lookalikes));
        Assert.Single(NearDuplicates.Find(lookalikes, maxDifference: 255));
    }

    [Fact]
    public async Task The_audit_command_trains_folds_and_ranks_a_planted_mislabel_first()
    {
        // Dark and bright squares; one bright image sits in the dark folder, and one image is there twice.
        var data = Path.Combine(_dir, "data");
        for (var i = 0; i < 10; i++)
        {
            Square(Path.Combine(data, "dark", $"{i}.png"), 20 + (i * 3));
            Square(Path.Combine(data, "bright", $"{i}.png"), 200 + (i * 3));
        }

        Square(Path.Combine(data, "dark", "odd.png"), 230);
        File.Copy(Path.Combine(data, "bright", "0.png"), Path.Combine(data, "bright", "copy.png"));
        var outDir = Path.Combine(_dir, "audit");
        using var writer = new StringWriter();
        using var error = new StringWriter();

        var code = await CliApp.RunAsync(["audit", "--data", data, "--folds", "2", "--epochs", "4", "--image-size", "8", "--grayscale", "--batch-size", "4", "--lr", "0.01", "--out", outDir], writer, error);

        Assert.True(code == 0, $"exit {code}: {error}\n{writer}");
        output.WriteLine(writer.ToString());
        var rows = File.ReadAllLines(Path.Combine(outDir, "label_issues.csv"));
        Assert.Equal(23, rows.Length);
        Assert.Contains("odd.png", rows[1], StringComparison.Ordinal);
        Assert.Contains(",dark,bright,", rows[1], StringComparison.Ordinal);
        var duplicates = File.ReadAllLines(Path.Combine(outDir, "near_duplicates.csv"));
        Assert.Contains(duplicates.Skip(1), line => line.Contains("copy.png", StringComparison.Ordinal) && line.Contains(",0,0.00,bright,bright,no", StringComparison.Ordinal));
        var page = File.ReadAllText(Path.Combine(outDir, "audit.html"));
        Assert.Contains("given: dark", page, StringComparison.Ordinal);
        Assert.Contains("data:image/png;base64,", page, StringComparison.Ordinal);
    }

    private static void Square(string path, int level)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.L8>(12, 12);
        var random = new Random(level);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                foreach (ref var pixel in rows.GetRowSpan(y))
                {
                    pixel = new SixLabors.ImageSharp.PixelFormats.L8((byte)Math.Clamp(level + random.Next(-15, 16), 0, 255));
                }
            }
        });
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, path);
    }

    /// <summary>A dataset with other labels: a copy of the images under labels the test chose.</summary>
    private sealed class Relabelled(IImageDataset source, long[] labels) : IImageDataset
    {
        public int Count => source.Count;

        public IReadOnlyList<string> Classes => source.Classes;

        public long LabelAt(int index) => labels[index];

        public ImageSample Read(int index)
        {
            var sample = source.Read(index);
            return sample with { Label = labels[index] };
        }
    }
}
