using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Export;
using CnnClassify.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using ModelProto = global::Onnx.ModelProto;
using Tensor = TorchSharp.torch.Tensor;

namespace CnnClassify.Tests.Export;

/// <summary>The int8 export: its arithmetic by hand, BatchNorm folding, layers kept in float, and every zoo family.</summary>
public sealed class Int8ExportTests(ITestOutputHelper log) : IDisposable
{
    private static readonly string Script = RepositoryPaths.Combine("tests", "CnnClassify.Tests", "Export", "onnx_reference.py");

    // One model of each family the zoo has.
    private static readonly string[] Families =
    [
        "alexnet", "convnext_tiny", "densenet121", "efficientnet_b0", "efficientnet_v2_s", "googlenet", "inception_v3",
        "lenet5", "mnasnet0_5", "mobilenet_v2", "mobilenet_v3_small", "regnet_x_400mf", "regnet_y_400mf", "resnet18",
        "shufflenet_v2_x0_5", "simplecnn", "squeezenet1_1", "vgg11_bn",
    ];

    private readonly string _directory = Directory.CreateTempSubdirectory("int8-export-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void An_activation_range_becomes_a_uint8_scale_and_zero_point_that_hold_zero()
    {
        var (scale, zeroPoint) = QdqRewriter.Affine((-1f, 3f));
        Assert.Equal(4f / 255, scale, 1e-7f);
        Assert.Equal(64, zeroPoint); // round(1 / (4 / 255)) = round(63.75)

        (scale, zeroPoint) = QdqRewriter.Affine((0.5f, 2f)); // widened to [0, 2]
        Assert.Equal(2f / 255, scale, 1e-7f);
        Assert.Equal(0, zeroPoint);
    }

    [Fact]
    public void Weights_become_symmetric_int8_per_output_channel()
    {
        var (values, scales) = QdqRewriter.PerChannel([0.3f, -1f, 0.2f, 0.05f], channels: 2, limit: 127);

        Assert.Equal([1f / 127, 0.2f / 127], scales);
        Assert.Equal(new sbyte[] { 38, -127, 127, 32 }, values); // 38.1 and 31.75 rounded

        (values, _) = QdqRewriter.PerChannel([0.25f, -1f], channels: 1, limit: 63);
        Assert.Equal(new sbyte[] { 16, -63 }, values); // 15.75 rounded
    }

    [Fact]
    public void The_percentile_range_drops_the_rarest_values_at_each_end()
    {
        // 10 bins over [0, 10]: two values in the first bin, 996 in the middle ones, two in the last.
        var counts = new long[10];
        counts[0] = 2;
        counts[4] = 498;
        counts[5] = 498;
        counts[9] = 2;

        Assert.Equal((4f, 6f), ActivationCalibration.PercentileRange(counts, 0, 10, percentile: 99.75)); // 2.5 values may go at each end
        Assert.Equal((0f, 10f), ActivationCalibration.PercentileRange(counts, 0, 10, percentile: 99.99));
    }

    [Fact]
    public void The_entropy_threshold_of_values_that_fill_only_the_first_128_bins_is_those_bins()
    {
        // Every count within the first 100 bins: 128 levels represent them exactly (a divergence
        // of 0), so the search stops at its smallest candidate, 128 bins, plus half a bin.
        var counts = new long[ActivationCalibration.Bins];
        for (var i = 0; i < 100; i++)
        {
            counts[i] = 1 + (i % 7);
        }

        Assert.Equal(128.5f * 8 / ActivationCalibration.Bins, ActivationCalibration.EntropyThreshold(counts, top: 8), 1e-6f);
    }

    [Fact]
    public void Folding_batchnorm_into_its_convolution_leaves_the_logits_as_they_were()
    {
        torch.manual_seed(3);
        using var model = ModelZoo.Create("resnet18", new ModelOptions { NumClasses = 4, ImageSize = 32 });
        model.Configuration = model.Configuration with { InputHeight = 32, InputWidth = 32 };
        RandomiseBatchNorm(model);
        var path = Path.Combine(_directory, "float.onnx");
        model.ExportOnnx(path);
        var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph;
        using var input = torch.randn([2, 3, 32, 32], generator: new Generator(4));
        model.eval();
        using var noGrad = torch.no_grad();
        var expected = model.call(input).data<float>().ToArray();

        var before = Logits(graph, input);
        var folded = BatchNormFolding.Fold(graph);
        var after = Logits(graph, input);

        Assert.Equal(20, folded);
        Assert.DoesNotContain(graph.Node, node => node.OpType == "BatchNormalization");
        AssertClose(expected, before);
        AssertClose(expected, after);
    }

    [Fact]
    public void Layers_named_in_keep_float_stay_float_the_metadata_says_how_the_file_was_made_and_bad_options_are_named()
    {
        torch.manual_seed(5);
        using var model = ModelZoo.Create("resnet18", new ModelOptions { NumClasses = 4, ImageSize = 32 });
        model.Configuration = model.Configuration with { InputHeight = 32, InputWidth = 32 };
        var path = Path.Combine(_directory, "kept.onnx");

        model.ExportOnnx(path, new OnnxExportOptions
        {
            Quantization = new Int8Quantization { Calibration = RandomImages(3, 32, count: 6), Images = 5, KeepFloat = ["conv1", "layer4", "fc"] },
        });

        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var floats = proto.Graph.Initializer.Where(t => t.DataType == (int)global::Onnx.TensorProto.Types.DataType.Float && t.Dims.Count > 1).Select(t => t.Name).ToHashSet();
        var convolutions = proto.Graph.Node.Where(n => n.OpType is "Conv" or "Gemm").ToList();
        Assert.All(convolutions, node => Assert.Equal(node.Name.StartsWith("conv1.", StringComparison.Ordinal) || node.Name.StartsWith("layer4.", StringComparison.Ordinal) || node.Name.StartsWith("fc.", StringComparison.Ordinal), floats.Contains(node.Input[1])));
        Assert.Equal(1 + 5 + 1, convolutions.Count(node => floats.Contains(node.Input[1]))); // conv1, layer4's four convolutions and its downsample, fc
        var metadata = proto.MetadataProps.Single(p => p.Key == "cnnclassify.quantization").Value;
        Assert.Contains("\"calibration\":\"minmax\"", metadata, StringComparison.Ordinal);
        Assert.Contains("\"calibration_images\":5", metadata, StringComparison.Ordinal);
        Assert.Contains("\"kept_float\":[\"conv1\",\"layer4\",\"fc\"]", metadata, StringComparison.Ordinal);

        var error = Assert.Throws<ArgumentException>(() => model.ExportOnnx(path, new OnnxExportOptions
        {
            Quantization = new Int8Quantization { Calibration = RandomImages(3, 32, count: 2), KeepFloat = ["layer9"] },
        }));
        Assert.Contains("'layer9'", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() => model.ExportOnnx(path, new OnnxExportOptions
        {
            Quantization = new Int8Quantization { Calibration = RandomImages(3, 40, count: 2) },
        }));
        Assert.Contains("images of 3x40x40, but the model takes 3x32x32", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Every_zoo_family_exports_int8_that_onnx_runtime_runs_and_the_onnx_checker_passes()
    {
        var files = new List<string>();
        foreach (var name in Families)
        {
            torch.manual_seed(11);
            var (channels, size) = (name is "simplecnn" or "lenet5" ? 1 : 3, Models.ZooSamples.ImageSize(name));
            using var model = ModelZoo.Create(name, new ModelOptions { NumClasses = 7, InChannels = channels, ImageSize = size });
            Parity.ZooParityTests.NarrowClassifier(name, model);
            model.Configuration = model.Configuration with { InputHeight = size, InputWidth = size };
            files.Add(Path.Combine(_directory, $"{name}.int8.onnx"));

            model.ExportOnnx(files[^1], new OnnxExportOptions { Quantization = new Int8Quantization { Calibration = RandomImages(channels, size, count: 2) } });

            using var session = new InferenceSession(files[^1]);
            using var input = torch.randn([2, channels, size, size], generator: new Generator(12));
            var tensor = new DenseTensor<float>(input.data<float>().ToArray(), [2, channels, size, size]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", tensor)]);
            var logits = results.Single().AsEnumerable<float>().ToArray();
            Assert.True(logits.Length == 2 * model.Configuration.NumClasses && logits.All(float.IsFinite), $"{name}: {logits.Length} logits, {string.Join(", ", logits)}");
            Assert.Contains(ModelProto.Parser.ParseFrom(File.ReadAllBytes(files[^1])).Graph.Node, node => node.OpType == "QuantizeLinear");

            // Calibrated on two other images, the int8 logits stay near TorchSharp's float ones (on an
            // AVX2 machine, within 0.9–14 % of the largest logit). Seeded random weights leave some
            // families' logits vanishing (below 1e-3), where the ratio says nothing.
            model.eval();
            using (torch.no_grad())
            {
                var expected = model.call(input).data<float>().ToArray();
                var scale = expected.Max(Math.Abs);
                var error = expected.Zip(logits).Max(p => Math.Abs(p.First - p.Second)) / scale;
                log.WriteLine($"{name}: largest logit {scale:G3}, int8 differs by up to {error:P1} of it");
                Assert.True(scale < 1e-3 || error < 0.3, $"{name}: int8 logits differ from float32 by {error:P1} of the largest");
            }
        }

        var (exitCode, output) = PythonProcess.Run([Script, "check", .. files]);

        Skip.If(exitCode != 0 && !PythonProcess.InRoot && output.Contains("ModuleNotFoundError", StringComparison.Ordinal), $"Python's onnx is missing here: {output.Trim().Split('\n').LastOrDefault()}");
        Assert.True(exitCode == 0, output);
        Assert.Equal(files.Count, output.Split('\n').Count(line => line.StartsWith("ok ", StringComparison.Ordinal)));
    }

    // Within 1e-4 of the largest logit's magnitude.
    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = Math.Max(expected.Max(Math.Abs), 1e-3f);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * scale, $"logit {i}: TorchSharp {expected[i]}, the graph runner {actual[i]}");
        }
    }

    private static float[] Logits(global::Onnx.GraphProto graph, Tensor input)
    {
        using var runner = new OnnxGraphRunner(graph);
        float[] logits = [];
        runner.Run(new Dictionary<string, Tensor> { ["input"] = input }, (name, value) =>
        {
            if (name == "logits")
            {
                logits = value.data<float>().ToArray();
            }
        });
        return logits;
    }

    private static DataLoader RandomImages(int channels, int size, int count)
    {
        using var generator = new Generator(21);
        var images = torch.randint(0, 256, [count, channels, size, size], generator: generator).to(ScalarType.Byte);
        var dataset = new TensorDataset(images, [.. Enumerable.Repeat(0L, count)], ["a"]);
        return new DataLoader(dataset, new Compose(new ToTensor(), new Normalize([0.5], [0.25])), new DataLoaderOptions { BatchSize = 2 });
    }

    private static void RandomiseBatchNorm(ClassificationModel model)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, buffer) in model.named_buffers().Where(b => b.name.EndsWith("running_mean", StringComparison.Ordinal) || b.name.EndsWith("running_var", StringComparison.Ordinal)))
        {
            buffer.copy_(name.EndsWith("running_var", StringComparison.Ordinal) ? torch.rand_like(buffer).add_(0.5) : torch.randn_like(buffer));
        }
    }
}
