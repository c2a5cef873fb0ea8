using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Export;
using CnnClassify.Models;
using CnnClassify.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace CnnClassify.Tests.Export;

/// <summary>
/// Models trained briefly on a slice of Fashion-MNIST, exported in float32 and in int8 with 512
/// calibration images, and both run by ONNX Runtime on 2,000 test images: the int8 file keeps the
/// float file's accuracy within half a point and its top-1 answer on at least 99 % of images.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class Int8AccuracyTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("int8-accuracy-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [SkippableFact]
    public async Task A_trained_simplecnn_in_int8_keeps_its_float_accuracy_and_answers()
    {
        var (train, test) = await CnnClassify.Tests.Data.FashionMnistSplits.LoadAsync();
        using (train)
        using (test)
        {
            var transform = new Compose(new ToTensor(), Normalize.FashionMnist);
            Seeding.Seed(0);
            using var model = new SimpleCnn(numClasses: 10, inChannels: 1);
            AssertInt8KeepsAccuracy(model, train, test, transform, trainImages: 6000);
        }
    }

    [SkippableFact]
    public async Task A_trained_resnet18_at_32_pixels_in_int8_keeps_its_float_accuracy_and_answers()
    {
        var (train, test) = await CnnClassify.Tests.Data.FashionMnistSplits.LoadAsync();
        using (train)
        using (test)
        {
            var transform = new Compose(new Resize(32, 32), new ToTensor(), Normalize.FashionMnist);
            Seeding.Seed(0);
            using var model = ModelZoo.Create("resnet18", numClasses: 10, inChannels: 1);
            model.Configuration = model.Configuration with { InputHeight = 32, InputWidth = 32 };
            var (_, int8) = AssertInt8KeepsAccuracy(model, train, test, transform, trainImages: 3000);

            // ONNX Runtime fuses every convolution, residual addition and the pools into integer operators.
            var optimized = Path.Combine(_directory, "optimized.onnx");
            using (new InferenceSession(int8, new Microsoft.ML.OnnxRuntime.SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = optimized }))
            {
            }

            var operators = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
            output.WriteLine(string.Join(", ", operators.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}")));
            Assert.Equal(20, operators.GetValueOrDefault("QLinearConv"));
            Assert.False(operators.ContainsKey("Conv"), "a float convolution is left");
            Assert.False(operators.ContainsKey("DequantizeLinear"), "the logits are quantized; QGemm should give them in float32");
            Assert.Equal(8, operators.GetValueOrDefault("QLinearAdd"));
        }
    }

    private (string Float32, string Int8) AssertInt8KeepsAccuracy(ClassificationModel model, IImageDataset train, IImageDataset test, IImageTransform transform, int trainImages)
    {
        var slice = DatasetSplit.Split(train, validationFraction: trainImages / (double)train.Count, seed: 0, stratified: true).Validation;
        var images = DatasetSplit.Split(test, validationFraction: 0.2, seed: 0, stratified: true).Validation; // 2,000 images
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(1e-3)).UseSeed(0).Build();
        trainer.Fit(new DataLoader(slice, transform, new DataLoaderOptions { BatchSize = 32, Shuffle = true, Workers = 1 }), validation: null, epochs: 1);

        var fp32 = Path.Combine(_directory, "model.onnx");
        var int8 = Path.Combine(_directory, "model.int8.onnx");
        model.ExportOnnx(fp32);
        var calibration = new DataLoader(slice, transform, new DataLoaderOptions { BatchSize = 64 });
        model.ExportOnnx(int8, new OnnxExportOptions { Quantization = new Int8Quantization { Calibration = calibration, Images = 512 } });

        var (floatAnswers, labels) = Answers(fp32, images, transform);
        var (int8Answers, _) = Answers(int8, images, transform);
        var floatAccuracy = floatAnswers.Zip(labels).Count(p => p.First == p.Second) * 100.0 / labels.Count;
        var int8Accuracy = int8Answers.Zip(labels).Count(p => p.First == p.Second) * 100.0 / labels.Count;
        var agreement = floatAnswers.Zip(int8Answers).Count(p => p.First == p.Second) * 100.0 / labels.Count;
        var sizes = (double)new FileInfo(int8).Length / new FileInfo(fp32).Length;
        output.WriteLine($"{model.Configuration.Architecture}: float32 {floatAccuracy:F2} %, int8 {int8Accuracy:F2} %, top-1 agreement {agreement:F2} %, int8 file {sizes:P1} of float32's");

        Assert.True(Math.Abs(int8Accuracy - floatAccuracy) <= 0.5, $"int8 accuracy {int8Accuracy:F2} %, float32 {floatAccuracy:F2} %");
        Assert.True(agreement >= 99, $"top-1 agreement {agreement:F2} %");
        Assert.True(sizes <= 0.30, $"the int8 file is {sizes:P1} of the float32 file");
        return (fp32, int8);
    }

    private static (List<int> Answers, List<int> Labels) Answers(string path, IImageDataset images, IImageTransform transform)
    {
        using var session = new InferenceSession(path);
        var answers = new List<int>();
        var labels = new List<int>();
        foreach (var batch in new DataLoader(images, transform, new DataLoaderOptions { BatchSize = 250 }).Epoch())
        {
            using (batch)
            {
                var shape = batch.Images.shape.Select(d => (int)d).ToArray();
                var tensor = new DenseTensor<float>(batch.Images.contiguous().data<float>().ToArray(), shape);
                using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", tensor)]);
                var logits = results.Single().AsEnumerable<float>().ToArray();
                var classes = logits.Length / shape[0];
                for (var r = 0; r < shape[0]; r++)
                {
                    var row = logits.AsSpan(r * classes, classes);
                    answers.Add(row.IndexOf(System.Linq.Enumerable.Max(row.ToArray())));
                }

                labels.AddRange(batch.Labels.data<long>().ToArray().Select(l => (int)l));
            }
        }

        return (answers, labels);
    }
}
