using System.Diagnostics;
using System.Globalization;
using CnnClassify.Inference;
using CnnClassify.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CnnClassify.Benchmarks;

/// <summary>
/// Predictor throughput (PredictBatch over PNG files, batch 64) and single-image latency
/// (Predict on one file, p50 and p99 over 200 calls after 20 warm-up calls), decoding included,
/// in float32 or bf16 autocast (<c>--precision bf16</c>). With <c>--checkpoint PATH</c> (a
/// Fashion-MNIST model) it instead measures what bf16 costs in accuracy: the test set evaluated
/// in float32 and in bf16, and how often the two predictions agree.
/// </summary>
internal static class InferenceBenchmark
{
    public static void Run(string[] args)
    {
        var precision = Arguments.Option(args, "--precision", "fp32") == "bf16" ? Training.Precision.Bf16 : Training.Precision.Fp32;
        if (Arguments.Option(args, "--checkpoint", string.Empty) is { Length: > 0 } checkpoint)
        {
            AccuracyCost(checkpoint);
            return;
        }

        var root = Directory.CreateTempSubdirectory("cnnclassify-inference-bench-").FullName;
        try
        {
            var channelsLast = args.Contains("--channels-last");
            Console.WriteLine($"Predictor, {Environment.ProcessorCount} cores, decode + preprocess + forward per image, {(channelsLast ? "channels-last" : "contiguous")} batches, {precision}");
            Console.WriteLine("| Model | Input | Batch images/s | Latency p50 | Latency p99 |");
            Console.WriteLine("| --- | --- | ---: | ---: | ---: |");
            foreach (var (name, channels, size) in new[] { ("simplecnn", 1, 28), ("resnet18", 3, 224) })
            {
                var files = Enumerable.Range(0, 256).Select(i => Write(Path.Combine(root, $"{name}-{i}.png"), channels, size, i)).ToList();
                using var model = ModelZoo.Create(name, new ModelOptions { NumClasses = 10, InChannels = channels, ImageSize = size });
                model.Configuration = model.Configuration with { InputHeight = size, InputWidth = size, Preprocessing = model.Configuration.Preprocessing with { ResizeSize = null } };
                using var predictor = new Predictor(model, new PredictorOptions { ChannelsLast = channelsLast, Precision = precision });
                predictor.PredictBatch(files.Take(64));
                var clock = Stopwatch.StartNew();
                predictor.PredictBatch(files, batchSize: 64);
                var throughput = files.Count / clock.Elapsed.TotalSeconds;
                for (var i = 0; i < 20; i++)
                {
                    predictor.Predict(files[i]);
                }

                var latencies = new List<double>();
                for (var i = 0; i < 200; i++)
                {
                    clock.Restart();
                    predictor.Predict(files[i % files.Count]);
                    latencies.Add(clock.Elapsed.TotalMilliseconds);
                }

                latencies.Sort();
                Console.WriteLine($"| {name} | {channels}x{size}x{size} | {throughput:N0} | {latencies[99]:F2} ms | {latencies[197]:F2} ms |");
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void AccuracyCost(string checkpoint)
    {
        using var model = Training.Checkpoint.LoadModel(checkpoint);
        var directory = new Data.DatasetLocator().LocateAsync(Data.MnistVariant.FashionMnist, download: false).GetAwaiter().GetResult();
        using var test = Data.MnistDataset.Load(directory, train: false, Data.MnistVariant.FashionMnist);
        var loader = new Data.DataLoader(test, model.Configuration.EvalTransform(), new Data.DataLoaderOptions { BatchSize = 500 });
        var runs = new[] { Training.Precision.Fp32, Training.Precision.Bf16 }.Select(p =>
        {
            var clock = Stopwatch.StartNew();
            var set = Evaluation.PredictionSet.Collect(model, loader, options: new InferenceOptions { Precision = p });
            return (Precision: p, Set: set, Seconds: clock.Elapsed.TotalSeconds);
        }).ToList();
        var agree = runs[0].Set.Samples.Zip(runs[1].Set.Samples).Count(pair => pair.First.Predicted == pair.Second.Predicted);
        foreach (var (p, set, seconds) in runs)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p}: test accuracy {set.Accuracy:P2}, {test.Count / seconds:F0} images/s"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"the two agree on {agree:N0} of {test.Count:N0} test images ({(double)agree / test.Count:P2})"));
    }


    private static string Write(string path, int channels, int size, int seed)
    {
        var random = new Random(seed);
        if (channels == 1)
        {
            using var gray = new Image<L8>(size, size);
            gray.ProcessPixelRows(rows =>
            {
                for (var y = 0; y < rows.Height; y++)
                {
                    foreach (ref var pixel in rows.GetRowSpan(y))
                    {
                        pixel = new L8((byte)random.Next(256));
                    }
                }
            });
            gray.SaveAsPng(path);
            return path;
        }

        using var image = new Image<Rgb24>(size, size);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                foreach (ref var pixel in rows.GetRowSpan(y))
                {
                    pixel = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                }
            }
        });
        image.SaveAsPng(path);
        return path;
    }
}
