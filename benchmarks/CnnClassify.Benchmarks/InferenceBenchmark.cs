using System.Diagnostics;
using System.Globalization;
using CnnClassify.Export;
using CnnClassify.Inference;
using CnnClassify.Models;
using CnnClassify.Runtime;
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
        var precision = Arguments.Option(args, "--precision", "fp32") == "bf16" ? Runtime.Precision.Bf16 : Runtime.Precision.Fp32;
        if (Arguments.Option(args, "--checkpoint", string.Empty) is { Length: > 0 } checkpoint)
        {
            AccuracyCost(checkpoint);
            return;
        }

        var root = Directory.CreateTempSubdirectory("cnnclassify-inference-bench-").FullName;
        using var collector = args.Contains("--collect") ? new ForcedCollections() : null;
        try
        {
            var channelsLast = args.Contains("--channels-last");
            var int8 = args.Contains("--int8");
            var onnx = args.Contains("--onnx") || int8;
            var batchSize = int8 ? 32 : 64;
            Console.WriteLine($"Predictor, {Environment.ProcessorCount} cores, decode + preprocess + forward per image, {(channelsLast ? "channels-last" : "contiguous")} batches, {precision}{(onnx ? ", against OnnxPredictor (ONNX Runtime), three rounds in turns, medians" : string.Empty)}");
            Console.WriteLine("| Model | Input | Runtime | Batch images/s | Latency p50 | Latency p99 |");
            Console.WriteLine("| --- | --- | --- | ---: | ---: | ---: |");
            var models = int8 ? new[] { ("resnet18", 3, 224), ("mobilenet_v2", 3, 224) } : new[] { ("simplecnn", 1, 28), ("resnet18", 3, 224) };
            if (Array.IndexOf(args, "--model") is var at and >= 0 && at + 1 < args.Length)
            {
                models = [.. models.Where(m => m.Item1 == args[at + 1])];
            }
            if (int8)
            {
                Console.WriteLine($"int8: QDQ, min-max calibration on 64 of the benchmark's images, 7-bit weights; batches of {batchSize}; file sizes after the table");
            }

            var sizes = new List<string>();
            foreach (var (name, channels, size) in models)
            {
                var files = Enumerable.Range(0, 256).Select(i => Write(Path.Combine(root, $"{name}-{i}.png"), channels, size, i)).ToList();
                using var model = ModelZoo.Create(name, new ModelOptions { NumClasses = 10, InChannels = channels, ImageSize = size });
                model.Configuration = model.Configuration with { InputHeight = size, InputWidth = size, Preprocessing = model.Configuration.Preprocessing with { ResizeSize = null } };
                using var predictor = new Predictor(model, new PredictorOptions { ChannelsLast = channelsLast, Precision = precision });
                var runtimes = new List<(string Name, Func<IEnumerable<string>, int, object> Batch, Func<string, object> Single)>
                {
                    ("LibTorch (Predictor)", (f, b) => predictor.PredictBatch(f, b), f => predictor.Predict(f)),
                };
                Onnx.OnnxPredictor? deployed = null;
                Onnx.OnnxPredictor? quantized = null;
                if (onnx)
                {
                    var path = Path.Combine(root, $"{name}.onnx");
                    model.ExportOnnx(path);
                    deployed = new Onnx.OnnxPredictor(path);
                    runtimes.Add(("ONNX Runtime (OnnxPredictor)", (f, b) => deployed.PredictBatch(f, b), f => deployed.Predict(f)));
                }

                if (int8)
                {
                    var path = Path.Combine(root, $"{name}.int8.onnx");
                    var calibration = new Data.DataLoader(new Data.ImageFolderDataset(Calibration(root, files)), model.Configuration.EvalTransform(), new Data.DataLoaderOptions { BatchSize = 32 });
                    model.ExportOnnx(path, new Export.OnnxExportOptions { Quantization = new Export.Int8Quantization { Calibration = calibration, Images = 64 } });
                    quantized = new Onnx.OnnxPredictor(path);
                    runtimes.Add(("ONNX Runtime int8 (OnnxPredictor)", (f, b) => quantized.PredictBatch(f, b), f => quantized.Predict(f)));
                    sizes.Add($"{name}: float32 {new FileInfo(Path.Combine(root, $"{name}.onnx")).Length / 1e6:F1} MB, int8 {new FileInfo(path).Length / 1e6:F1} MB ({(double)new FileInfo(path).Length / new FileInfo(Path.Combine(root, $"{name}.onnx")).Length:P1})");
                }

                if (int8)
                {
                    ModelOnly(name, Path.Combine(root, $"{name}.onnx"), Path.Combine(root, $"{name}.int8.onnx"), channels, size, batchSize);
                }

                using (deployed)
                using (quantized)
                {
                    var rounds = Enumerable.Range(0, onnx ? 3 : 1).Select(_ => runtimes.Select(r => Measure(files, r.Batch, r.Single, batchSize)).ToList()).ToList();
                    for (var i = 0; i < runtimes.Count; i++)
                    {
                        double Median(Func<(double Throughput, double P50, double P99), double> pick) => rounds.Select(round => pick(round[i])).Order().ElementAt(rounds.Count / 2);
                        Console.WriteLine($"| {name} | {channels}x{size}x{size} | {runtimes[i].Name} | {Median(m => m.Throughput):N0} | {Median(m => m.P50):F2} ms | {Median(m => m.P99):F2} ms |");
                    }
                }
            }

            sizes.ForEach(Console.WriteLine);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    // The graphs alone in ONNX Runtime, on one prepared random batch: three rounds in turns of
    // ten batches each after two warm-up batches, then 50 single images; medians.
    private static void ModelOnly(string name, string fp32, string int8, int channels, int size, int batchSize)
    {
        using var floatSession = new Microsoft.ML.OnnxRuntime.InferenceSession(fp32);
        using var int8Session = new Microsoft.ML.OnnxRuntime.InferenceSession(int8);
        var random = new Random(3);
        float[] Values(int batch) => [.. Enumerable.Range(0, batch * channels * size * size).Select(_ => (float)((random.NextDouble() * 4) - 2))];
        var batchInput = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(Values(batchSize), [batchSize, channels, size, size]);
        var singleInput = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(Values(1), [1, channels, size, size]);
        double Rate(Microsoft.ML.OnnxRuntime.InferenceSession session, Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float> input, int runs)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < runs; i++)
            {
                using var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("input", input)]);
            }

            return runs * input.Dimensions[0] / clock.Elapsed.TotalSeconds;
        }

        foreach (var session in new[] { floatSession, int8Session })
        {
            Rate(session, batchInput, 2);
            Rate(session, singleInput, 5);
        }

        var rounds = Enumerable.Range(0, 3).Select(_ => new[] { floatSession, int8Session }.Select(s => (Batch: Rate(s, batchInput, 10), Single: Rate(s, singleInput, 50))).ToList()).ToList();
        double Median(int i, Func<(double Batch, double Single), double> pick) => rounds.Select(r => pick(r[i])).Order().ElementAt(1);
        // Each optimization level of OnnxPredictorOptions, and the optimized-model cache: the time
        // to open the int8 file and the batch throughput it then gives.
        var cache = Path.Combine(Path.GetDirectoryName(int8)!, "optimized-cache");
        foreach (var (label, options) in new (string, Onnx.OnnxPredictorOptions)[]
        {
            ("None", new() { GraphOptimization = Onnx.OnnxGraphOptimization.None }),
            ("Basic", new() { GraphOptimization = Onnx.OnnxGraphOptimization.Basic }),
            ("Extended", new() { GraphOptimization = Onnx.OnnxGraphOptimization.Extended }),
            ("All", new() { GraphOptimization = Onnx.OnnxGraphOptimization.All }),
            ("All, writing the cache", new() { OptimizedModelCache = cache }),
            ("All, from the cache", new() { OptimizedModelCache = cache }),
        })
        {
            foreach (var (kind, file) in new[] { ("float32", fp32), ("int8", int8) })
            {
                var clock = Stopwatch.StartNew();
                using var predictor = new Onnx.OnnxPredictor(file, options);
                var open = clock.Elapsed.TotalMilliseconds;
                // The predictor's own session, so that the cached graph is what runs.
                var session = (Microsoft.ML.OnnxRuntime.InferenceSession)typeof(Onnx.OnnxPredictor).GetField("_session", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(predictor)!;
                Rate(session, batchInput, 1);
                Console.WriteLine($"{name} {kind}, optimization {label}: opened in {open:F0} ms, batch {batchSize} {Rate(session, batchInput, 5):F1} images/s");
            }
        }

        Console.WriteLine($"{name}, graph only in ONNX Runtime: batch {batchSize} float32 {Median(0, r => r.Batch):F1} images/s, int8 {Median(1, r => r.Batch):F1} ({Median(1, r => r.Batch) / Median(0, r => r.Batch):F2}x); batch 1 float32 {1000 / Median(0, r => r.Single):F2} ms, int8 {1000 / Median(1, r => r.Single):F2} ms");
    }

    // An image folder of one class holding the first 64 images, for calibration.
    private static string Calibration(string root, List<string> files)
    {
        var folder = Path.Combine(root, $"calibration-{Path.GetFileNameWithoutExtension(files[0])}", "images");
        Directory.CreateDirectory(folder);
        files.Take(64).ToList().ForEach(f => File.Copy(f, Path.Combine(folder, Path.GetFileName(f)), overwrite: true));
        return Path.GetDirectoryName(folder)!;
    }

    // PredictBatch over every file (batch 64, or 32 for int8 runs) after one warm-up batch; then
    // single-image latency, p50 and p99 over 200 calls after 20 warm-up calls.
    private static (double Throughput, double P50, double P99) Measure(List<string> files, Func<IEnumerable<string>, int, object> batch, Func<string, object> single, int batchSize)
    {
        batch(files.Take(batchSize), batchSize);
        var clock = Stopwatch.StartNew();
        batch(files, batchSize);
        var throughput = files.Count / clock.Elapsed.TotalSeconds;
        for (var i = 0; i < 20; i++)
        {
            single(files[i]);
        }

        var latencies = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            clock.Restart();
            single(files[i % files.Count]);
            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }

        latencies.Sort();
        return (throughput, latencies[99], latencies[197]);
    }

    private static void AccuracyCost(string checkpoint)
    {
        using var model = Training.Checkpoint.LoadModel(checkpoint);
        var directory = new Data.DatasetLocator().LocateAsync(Data.MnistVariant.FashionMnist, download: false).GetAwaiter().GetResult();
        using var test = Data.MnistDataset.Load(directory, train: false, Data.MnistVariant.FashionMnist);
        var loader = new Data.DataLoader(test, model.Configuration.EvalTransform(), new Data.DataLoaderOptions { BatchSize = 500 });
        var runs = new[] { Runtime.Precision.Fp32, Runtime.Precision.Bf16 }.Select(p =>
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


    // With --collect: a thread that forces garbage collections and runs finalizers for as long as
    // the run lasts, so that a native object freed by a finalizer while still in use fails soon.
    private sealed class ForcedCollections : IDisposable
    {
        private readonly Thread _thread;
        private int _stop;

        public ForcedCollections()
        {
            _thread = new Thread(() =>
            {
                while (Volatile.Read(ref _stop) == 0)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    Thread.Sleep(5);
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public void Dispose()
        {
            Volatile.Write(ref _stop, 1);
            _thread.Join();
        }
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
