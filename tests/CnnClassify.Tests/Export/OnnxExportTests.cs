using CnnClassify.Export;
using CnnClassify.Layers;
using CnnClassify.Models;
using CnnClassify.Serialization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Export;

/// <summary>Models written as ONNX files and run by ONNX Runtime give TorchSharp's evaluation-mode logits.</summary>
public class OnnxExportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("onnx-export-").FullName;

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    private static readonly string Script = RepositoryPaths.Combine("tests", "CnnClassify.Tests", "Export", "onnx_reference.py");

    public static TheoryData<string> ZooNames() => Models.ZooSamples.Built;

    [Theory]
    [MemberData(nameof(ZooNames))]
    public void A_zoo_model_gives_torchsharps_logits_in_onnx_runtime_for_batches_of_one_and_three(string name)
    {
        var (model, channels, size) = SmallZooModel(name);
        using (model)
        {
            AssertSameLogits(model, channels, size);
        }
    }

    [SkippableFact]
    public void Every_zoo_model_and_both_input_kinds_pass_the_onnx_checker()
    {
        var files = new List<string>();
        foreach (var name in Models.ZooSamples.Built)
        {
            var (model, _, _) = SmallZooModel(name);
            using (model)
            {
                files.Add(Path.Combine(_directory, $"{name}.onnx"));
                model.ExportOnnx(files[^1]);
                if (name is "resnet18" or "simplecnn")
                {
                    files.Add(Path.Combine(_directory, $"{name}_pixels.onnx"));
                    model.ExportOnnx(files[^1], new OnnxExportOptions { IncludePreprocessing = true });
                }
            }
        }

        var (exitCode, output) = PythonProcess.Run([Script, "check", .. files]);

        SkipUnlessOnnxPython(exitCode, output);
        Assert.True(exitCode == 0, output);
        Assert.Equal(files.Count, output.Split('\n').Count(line => line.StartsWith("ok ", StringComparison.Ordinal) && line.Contains("opset 17", StringComparison.Ordinal)));
    }

    [SkippableTheory]
    [InlineData("resnet18")]
    [InlineData("mobilenet_v2")]
    public void Torchvisions_own_export_of_the_same_weights_gives_our_files_logits_in_onnx_runtime(string name)
    {
        torch.manual_seed(14);
        using var model = ModelZoo.Create(name, numClasses: 6);
        model.Configuration = model.Configuration with { InputHeight = 64, InputWidth = 64 };
        RandomiseBatchNorm(model);
        var weights = Path.Combine(_directory, "weights.safetensors");
        var theirs = Path.Combine(_directory, "torchvision.onnx");
        var ours = Path.Combine(_directory, "ours.onnx");
        model.SaveSafetensors(weights);
        model.ExportOnnx(ours);

        var (exitCode, output) = PythonProcess.Run(Script, "export", name, "6", weights, "64", theirs);

        SkipUnlessOnnxPython(exitCode, output);
        Assert.True(exitCode == 0, output);
        using var torchvision = new InferenceSession(theirs);
        using var exported = new InferenceSession(ours);
        using var input = torch.randn([3, 3, 64, 64], generator: new Generator(15));
        var values = input.data<float>().ToArray();
        AssertClose(Run(torchvision, "input", values, [3, 3, 64, 64]), Run(exported, "input", values, [3, 3, 64, 64]), "torchvision's file", "ours");
    }

    [Fact]
    public void The_pixel_input_variant_scales_and_normalises_inside_the_graph()
    {
        torch.manual_seed(16);
        using var model = CnnBuilder.Input(3, 12, 12).ConvBlock(6, 3).GlobalAvgPool().Dense(3).Build();
        model.Configuration = model.Configuration with { Preprocessing = new Preprocessing { Mean = [0.4, 0.5, 0.6], Std = [0.2, 0.3, 0.25] } };
        var plain = Path.Combine(_directory, "plain.onnx");
        var pixels = Path.Combine(_directory, "pixels.onnx");
        model.ExportOnnx(plain);
        model.ExportOnnx(pixels, new OnnxExportOptions { IncludePreprocessing = true });
        using var image = torch.randint(0, 256, [2, 3, 12, 12], dtype: ScalarType.Byte, generator: new Generator(17));
        using var prepared = new CnnClassify.Data.Transforms.Normalize([0.4, 0.5, 0.6], [0.2, 0.3, 0.25]).ApplyBatch(image.to(ScalarType.Float32).div(255.0), [new Random(0), new Random(1)]);

        using var session = new InferenceSession(pixels);
        var bytes = NamedOnnxValue.CreateFromTensor("pixels", new DenseTensor<byte>(image.data<byte>().ToArray(), [2, 3, 12, 12]));
        using var results = session.Run([bytes]);
        var fromPixels = results.Single().AsEnumerable<float>().ToArray();

        using var plainSession = new InferenceSession(plain);
        var fromFloats = Run(plainSession, "input", prepared.data<float>().ToArray(), [2, 3, 12, 12]);
        Assert.Equal(fromFloats, fromPixels);
        Assert.Equal("uint8_pixels", session.ModelMetadata.CustomMetadataMap["cnnclassify.input"]);
    }

    [Fact]
    public void The_metadata_holds_the_configuration_the_class_names_and_the_producer()
    {
        torch.manual_seed(18);
        using var model = ModelZoo.Create("simplecnn", new ModelOptions { NumClasses = 3 });
        model.Configuration = model.Configuration with { ClassNames = ["shirt", "shoe", "bag"] };
        var path = Path.Combine(_directory, "meta.onnx");

        model.ExportOnnx(path);

        using var session = new InferenceSession(path);
        var metadata = session.ModelMetadata;
        Assert.Equal("CnnClassify", metadata.ProducerName);
        Assert.Equal("[\"shirt\",\"shoe\",\"bag\"]", metadata.CustomMetadataMap["class_names"]);
        var configuration = ModelConfiguration.FromJson(System.Text.Json.Nodes.JsonNode.Parse(metadata.CustomMetadataMap["cnnclassify.model_configuration"])!, path);
        Assert.Equal(model.Configuration, configuration with { ClassNames = model.Configuration.ClassNames, Preprocessing = model.Configuration.Preprocessing });
        Assert.Equal(model.Configuration.ClassNames, configuration.ClassNames);
        Assert.Equal("batch", session.InputMetadata["input"].SymbolicDimensions[0]);
        Assert.Equal(new[] { -1, 1, 28, 28 }, session.InputMetadata["input"].Dimensions);
    }

    [Fact]
    public void A_custom_layer_without_a_translation_is_refused_with_its_path_and_type()
    {
        using var model = CnnBuilder.Input(1, 8, 8).Conv(4, 3).Add("mystery", _ => new Mystery()).Flatten().Dense(2).Build();
        var path = Path.Combine(_directory, "custom.onnx");

        var error = Assert.Throws<NotSupportedException>(() => model.ExportOnnx(path));

        Assert.Contains("'mystery", error.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(Mystery).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Contains("IOnnxExportable", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    private sealed class Mystery() : nn.Module<Tensor, Tensor>(nameof(Mystery))
    {
        public override Tensor forward(Tensor input) => input.sin();
    }

    // A zoo model at a small input that keeps every map at least 1x1 (VGG's and AlexNet's adaptive
    // pools then enlarge it, which the export writes as matrix products), with narrow classifiers
    // and BatchNorm statistics far from 0 and 1.
    private static (ClassificationModel Model, int Channels, int Size) SmallZooModel(string name)
    {
        torch.manual_seed(11);
        var (channels, size) = (name is "simplecnn" or "lenet5" ? 1 : 3, Models.ZooSamples.ImageSize(name));
        var model = ModelZoo.Create(name, new ModelOptions { NumClasses = 7, InChannels = channels, ImageSize = size, TransformInput = name == "inception_v3" });
        Parity.ZooParityTests.NarrowClassifier(name, model);
        if (name == "inception_v3")
        {
            // Its own initialisation (truncated normal, std 0.1) grows activations 17-fold per layer
            // when BatchNorm does not normalise, as in evaluation mode; fan-in scaling keeps them finite.
            (WeightInitialization.PyTorchDefault with { Conv = TensorInitializer.KaimingNormal(nn.init.FanInOut.FanIn) }).Apply(model);
        }

        model.Configuration = model.Configuration with { InputHeight = size, InputWidth = size };
        RandomiseBatchNorm(model);
        return (model, channels, size);
    }

    private static void SkipUnlessOnnxPython(int exitCode, string output) =>
        Skip.If(exitCode != 0 && !PythonProcess.InRoot && output.Contains("ModuleNotFoundError", StringComparison.Ordinal), $"Python's onnx or torch is missing here: {output.Trim().Split('\n').LastOrDefault()}");

    [Fact]
    public void A_builder_model_with_residual_inception_and_every_builder_layer_gives_the_same_logits()
    {
        torch.manual_seed(12);
        using var model = CnnBuilder.Input(3, 32, 32)
            .ConvBlock(16, 3).LocalResponseNorm().MaxPool(3, 2, padding: 1, ceilMode: true)
            .Residual(32, stride: 2).Bottleneck(8).Inception(new InceptionChannels(8, 8, 16, 4, 8, 8))
            .Conv(24, 3, padding: 1).BatchNorm().LeakyReLU(0.1).AvgPool(2, ceilMode: true).ELU(0.5)
            .Conv(24, 1).GELU().SiLU().Conv(24, 1).Tanh().ReLU6().Sigmoid()
            .AdaptiveAvgPool(3, 3).Flatten().Dense(32).ReLU().Dropout(0.3).Dense(5)
            .Build();
        RandomiseBatchNorm(model);

        AssertSameLogits(model, 3, 32);
    }

    [Fact]
    public void A_builder_model_with_every_newer_block_gives_the_same_logits()
    {
        torch.manual_seed(19);
        using var model = Building.ModernBlockTests.EveryNewerBlock();
        RandomiseBatchNorm(model);

        AssertSameLogits(model, 3, 32);
    }

    [SkippableFact]
    public void Weights_written_beside_the_model_as_external_data_give_the_same_logits_and_pass_the_checker()
    {
        torch.manual_seed(20);
        using var model = ModelZoo.Create("resnet18", new ModelOptions { NumClasses = 4, ImageSize = 32 });
        model.Configuration = model.Configuration with { InputHeight = 32, InputWidth = 32 };
        RandomiseBatchNorm(model);
        var single = Path.Combine(_directory, "single.onnx");
        var split = Path.Combine(_directory, "split", "model.onnx");

        model.ExportOnnx(single);
        model.ExportOnnx(split, new OnnxExportOptions { ExternalData = true });

        // Automatic mode keeps an 11-million-parameter model in one file; the split one holds the graph only.
        Assert.False(File.Exists(single + ".data"));
        var weightBytes = model.state_dict().Values.Where(t => t.is_floating_point()).Sum(t => t.numel() * 4);
        Assert.InRange(new FileInfo(split + ".data").Length, weightBytes - (1 << 20), weightBytes + (1 << 20));
        Assert.True(new FileInfo(split).Length < 200_000, $"the graph file holds {new FileInfo(split).Length:N0} bytes");
        using var input = torch.randn([3, 3, 32, 32], generator: new Generator(21));
        var values = input.data<float>().ToArray();
        using var first = new InferenceSession(single);
        using var second = new InferenceSession(split);
        Assert.Equal(Run(first, "input", values, [3, 3, 32, 32]), Run(second, "input", values, [3, 3, 32, 32]));
        using (var deployed = new CnnClassify.Onnx.OnnxPredictor(split))
        {
            Assert.Equal(("resnet18", 32), (deployed.Description.Architecture, deployed.Description.InputHeight));
        }

        var (exitCode, output) = PythonProcess.Run(Script, "check", split);
        SkipUnlessOnnxPython(exitCode, output);
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public void Global_pools_and_a_grayscale_input_export()
    {
        torch.manual_seed(13);
        using var model = CnnBuilder.Input(1, 20, 20).ConvBlock(8, 3).AdaptiveMaxPool(5, 5).ConvBlock(8, 3).GlobalMaxPool().Dense(4).Build();
        using var second = CnnBuilder.Input(1, 20, 20).ConvBlock(8, 5, stride: 2).GlobalAvgPool().Dense(3).Build();

        AssertSameLogits(model, 1, 20);
        AssertSameLogits(second, 1, 20);
    }

    // Trained BatchNorm layers have statistics far from 0 and 1; fresh ones would hide a swapped input.
    private static void RandomiseBatchNorm(nn.Module model)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, buffer) in model.named_buffers())
        {
            if (name.EndsWith("running_mean", StringComparison.Ordinal))
            {
                buffer.copy_(torch.randn_like(buffer).mul_(0.1));
            }
            else if (name.EndsWith("running_var", StringComparison.Ordinal))
            {
                buffer.copy_(torch.rand_like(buffer).add_(0.5));
            }
        }

        // ConvNeXt's layer scale starts at 1e-6, which would hide its blocks from the comparison.
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.EndsWith("layer_scale", StringComparison.Ordinal))
            {
                parameter.copy_(torch.rand_like(parameter).add_(0.5));
            }
        }
    }

    private void AssertSameLogits(ClassificationModel model, int channels, int size)
    {
        var path = Path.Combine(_directory, "model.onnx");
        model.train();
        model.ExportOnnx(path);
        Assert.True(model.training);
        model.eval();

        using var session = new InferenceSession(path);
        Assert.Equal("input", session.InputMetadata.Keys.Single());
        Assert.Equal("logits", session.OutputMetadata.Keys.Single());
        foreach (var batch in new[] { 1, 3 })
        {
            using var scope = torch.NewDisposeScope();
            var input = torch.randn([batch, channels, size, size], generator: new Generator((ulong)batch));
            using var noGrad = torch.no_grad();
            var expected = model.call(input).data<float>().ToArray();

            var actual = Run(session, "input", input.data<float>().ToArray(), [batch, channels, size, size]);

            AssertClose(expected, actual, "TorchSharp", $"ONNX Runtime (batch {batch})");
        }
    }

    // Within 1e-4 of the largest logit's magnitude.
    private static void AssertClose(float[] expected, float[] actual, string expectedName, string actualName)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = Math.Max(expected.Max(Math.Abs), 1e-3f);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * scale, $"logit {i}: {expectedName} {expected[i]}, {actualName} {actual[i]}");
        }
    }

    private static float[] Run(InferenceSession session, string inputName, float[] values, int[] shape)
    {
        var tensor = new DenseTensor<float>(values, shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        return results.Single().AsEnumerable<float>().ToArray();
    }
}
