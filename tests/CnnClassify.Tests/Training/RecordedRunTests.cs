using System.Text.Json;
using System.Text.Json.Nodes;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Inference;
using CnnClassify.Layers;
using CnnClassify.Models;
using CnnClassify.Native;
using CnnClassify.Runtime;
using CnnClassify.Training;
using Xunit.Abstractions;

namespace CnnClassify.Tests.Training;

/// <summary>
/// Runs recorded with the library as it was before the trainer's seams (task, precision, strategy,
/// acting callbacks) were cut: the main job's recipe on a slice of Fashion-MNIST, the same with
/// MixUp and with CutMix, and a checkpoint with its probabilities on one image. The code that
/// replaces the loop must give the same numbers. <c>CNNCLASSIFY_RECORD_FIXTURES=1</c> rewrites
/// the fixtures (only ever from the code they are meant to pin).
/// </summary>
[Collection(SerialTests.Name)]
public sealed class RecordedRunTests(ITestOutputHelper output)
{
    private static readonly string Fixtures = RepositoryPaths.Combine("tests", "CnnClassify.Tests", "Training", "Fixtures");

    private static bool Recording => Environment.GetEnvironmentVariable("CNNCLASSIFY_RECORD_FIXTURES") == "1";

    [SkippableTheory]
    [InlineData("plain")]
    [InlineData("mixup")]
    [InlineData("cutmix")]
    public async Task The_main_jobs_recipe_gives_the_per_epoch_losses_recorded_before_the_seams(string mixing)
    {
        var directory = await FashionMnist();
        using var full = MnistDataset.Load(directory, train: true, MnistVariant.FashionMnist);
        var slice = new Subset(full, Enumerable.Range(0, 640));
        var (train, validation) = DatasetSplit.Split(slice, validationFraction: 0.2, seed: 0, stratified: true);
        var augment = new Compose(new RandomHorizontalFlip(), new RandomRotation(10), new ToTensor(), Normalize.FashionMnist);
        var plain = new Compose(new ToTensor(), Normalize.FashionMnist);

        Seeding.Seed(0);
        using var model = new SimpleCnn(numClasses: 10, inChannels: 1);
        var builder = Trainer.For(model)
            .UseOptimizer(OptimizerSpec.Adam(1e-3))
            .UseSchedule(LearningRateSchedule.ReduceOnPlateau(Metric.ValidationLoss, factor: 0.5, patience: 1))
            .UsePrecision(Precision.Fp32)
            .UseSeed(0);
        if (mixing != "plain")
        {
            builder.UseBatchMixing(mixing == "mixup" ? BatchMixer.MixUp(0.4) : BatchMixer.CutMix(1.0));
        }

        var history = builder.Build().Fit(
            new DataLoader(train, augment, new DataLoaderOptions { BatchSize = 128, Shuffle = true, Workers = 2, Seed = 0 }),
            new DataLoader(validation, plain, new DataLoaderOptions { BatchSize = 500 }),
            epochs: 2);

        var recorded = history.Epochs.Select(e => new[] { e.TrainLoss, e.TrainAccuracy, e.ValidationLoss!.Value, e.ValidationAccuracy!.Value, e.LearningRate }).ToArray();
        var path = Path.Combine(Fixtures, $"recipe-{mixing}.json");
        var capability = CnnClassify.Native.CpuCapabilities.Current.AtenCapability;
        if (Recording)
        {
            Write(path, JsonSerializer.Serialize(new Recorded(capability, recorded)));
        }

        // LibTorch's fp32 kernels for another instruction set (AVX-512 against AVX2) round
        // differently, so the 1e-6 promise holds on the kind of CPU the run was recorded on.
        var expected = JsonSerializer.Deserialize<Recorded>(File.ReadAllText(path))!;
        var tolerance = expected.Capability == capability ? 1e-6 : 1e-3;
        output.WriteLine($"{mixing} on {capability} (recorded on {expected.Capability}, tolerance {tolerance}): {JsonSerializer.Serialize(recorded)}");
        Assert.Equal(expected.Epochs.Length, recorded.Length);
        for (var epoch = 0; epoch < expected.Epochs.Length; epoch++)
        {
            for (var k = 0; k < expected.Epochs[epoch].Length; k++)
            {
                Assert.True(Math.Abs(expected.Epochs[epoch][k] - recorded[epoch][k]) <= tolerance, $"{mixing} epoch {epoch + 1}, value {k}: recorded {expected.Epochs[epoch][k]}, now {recorded[epoch][k]}");
            }
        }
    }

    /// <summary>A recorded history: per epoch, train loss, train accuracy, validation loss, validation accuracy and learning rate.</summary>
    private sealed record Recorded(string Capability, double[][] Epochs);

    [Fact]
    public void A_checkpoint_written_before_the_seams_loads_and_predicts_the_recorded_probabilities()
    {
        var checkpoint = Path.Combine(Fixtures, "builder-before-seams.ckpt");
        var image = Path.Combine(Fixtures, "pattern.png");
        var probabilities = Path.Combine(Fixtures, "builder-before-seams.json");
        if (Recording)
        {
            RecordCheckpoint(checkpoint, image, probabilities);
        }

        using var predictor = Predictor.FromCheckpoint(checkpoint, new PredictorOptions { Precision = Precision.Fp32 });
        var prediction = predictor.Predict(image);
        // Written before tasks were recorded, it reads as single-label.
        Assert.Same(ClassificationTask.SingleLabel, predictor.Task);

        var expected = JsonNode.Parse(File.ReadAllText(probabilities))!.AsObject();
        Assert.Equal(expected["classes"]!.AsArray().Select(c => c!.GetValue<string>()), prediction.ClassNames);
        var recorded = expected["probabilities"]!.AsArray().Select(p => p!.GetValue<double>()).ToArray();
        for (var k = 0; k < recorded.Length; k++)
        {
            Assert.True(Math.Abs(recorded[k] - prediction.Probabilities[k]) <= 1e-6, $"class {k}: recorded {recorded[k]}, now {prediction.Probabilities[k]}");
        }
    }

    // A builder model of several layer kinds, trained two epochs on twelve patterns, so that its
    // checkpoint holds the builder's record, optimizer state and history in the old format.
    private static void RecordCheckpoint(string checkpoint, string image, string probabilities)
    {
        var root = Directory.CreateTempSubdirectory("cnnclassify-record-").FullName;
        try
        {
            foreach (var (c, k) in new[] { "circle", "square", "triangle" }.Select((c, k) => (c, k)))
            {
                for (var i = 0; i < 4; i++)
                {
                    Data.TestImages.Write(Path.Combine(root, "data", c, $"{i}.png"), 16, 12, seed: (k * 10) + i);
                }
            }

            Data.TestImages.Write(image, 23, 17, seed: 77);
            var data = new ImageFolderDataset(Path.Combine(root, "data"));
            var transform = new Compose(new Resize(12, 12), new ToTensor(), new Normalize([0.5, 0.4, 0.3], [0.25, 0.2, 0.3]));
            Seeding.Seed(5);
            using var model = CnnBuilder.Input(3, 12, 12)
                .ConvBlock(6, 3).MaxPool(2).Residual(8).Conv(8, 1).BatchNorm().ReLU()
                .GlobalAvgPool().Dense(3)
                .Build();
            var run = Path.Combine(root, "run");
            var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.AdamW(1e-2)).UsePrecision(Precision.Fp32).UseSeed(5)
                .AddCallback(new CheckpointCallback(run, Metric.ValidationAccuracy)).Build();
            trainer.Fit(new DataLoader(data, transform, new DataLoaderOptions { BatchSize = 4, Shuffle = true }), new DataLoader(data, transform, new DataLoaderOptions { BatchSize = 12 }), epochs: 2);
            File.Copy(Path.Combine(run, "last.ckpt"), checkpoint, overwrite: true);

            using var predictor = Predictor.FromCheckpoint(checkpoint, new PredictorOptions { Precision = Precision.Fp32 });
            var prediction = predictor.Predict(image);
            Write(probabilities, new JsonObject
            {
                ["classes"] = new JsonArray([.. prediction.ClassNames.Select(n => (JsonNode)n)]),
                ["probabilities"] = new JsonArray([.. prediction.Probabilities.Select(p => (JsonNode)p)]),
            }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<string> FashionMnist()
    {
        try
        {
            return await new DatasetLocator().LocateAsync(MnistVariant.FashionMnist, download: false);
        }
        catch (FileNotFoundException ex) when (!PythonProcess.InRoot)
        {
            Skip.If(true, $"Fashion-MNIST is not installed: {ex.Message}");
            throw;
        }
    }

    private static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
