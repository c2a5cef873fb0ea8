using CnnClassify.Models;
using CnnClassify.Native;
using CnnClassify.Serialization;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Parity;

/// <summary>Every zoo model with a torchvision twin against torchvision 0.21 itself.</summary>
[Collection(TorchvisionTests.Name)]
public class ZooParityTests(TorchvisionReference reference, ITestOutputHelper output)
{
    // Logits may differ by float32 rounding in a different order of operations (oneDNN, OpenBLAS
    // and MKL kernels); 1e-4 of the largest |logit| allows that through 150 layers and no more.
    private const double RelativeTolerance = 1e-4;

    private static readonly string[] Twins =
    [
        "alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
        "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
        "googlenet", "mobilenet_v2", "densenet121", "densenet169", "efficientnet_b0",
    ];

    public static TheoryData<string> TwinNames => new([.. Twins, .. CnnClassify.Tests.Models.ZooSamples.FamilyRepresentatives]);

    // Every zoo model but the two small-image ones has a torchvision twin, and the auxiliary-head variants.
    public static TheoryData<string> ManifestNames => new([.. ModelZoo.Names.Where(n => n is not ("simplecnn" or "lenet5")), "googlenet_aux", "inception_v3_aux"]);

    [SkippableTheory]
    [MemberData(nameof(ManifestNames))]
    public void Keys_shapes_and_parameter_count_equal_torchvisions(string name)
    {
        reference.SkipIfUnavailable();
        var expected = reference.Manifest[name];
        var previous = torch.get_default_device();
        torch.set_default_device(torch.META);
        try
        {
            using var model = name.EndsWith("_aux", StringComparison.Ordinal)
                ? ModelZoo.Create(name[..^4], new ModelOptions { AuxiliaryHeads = true })
                : ModelZoo.Create(name);

            var actual = model.state_dict();
            Assert.Equal(expected.Keys.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
            Assert.All(actual, pair => Assert.Equal(expected.Keys[pair.Key], pair.Value.shape));
            Assert.Equal(expected.Parameters, model.parameters().Sum(p => p.numel()));
            output.WriteLine($"{name}: {expected.Parameters:N0} parameters, {actual.Count} state-dict entries");
        }
        finally
        {
            torch.set_default_device(previous);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(TwinNames))]
    public void Logits_match_torchvision_with_the_same_weights(string name)
    {
        reference.SkipIfUnavailable();
        // Inception v3's reference runs through transform_input, as its published weights do.
        using var model = ModelZoo.Create(name, new ModelOptions { NumClasses = 10, TransformInput = name == "inception_v3" });
        NarrowClassifier(name, model);
        var report = model.LoadWeights(reference.PathOf($"{name}.pth"));
        Assert.True(report.IsExact, report.ToString());
        model.eval();

        var io = StateDictFile.Read(reference.PathOf($"{name}.io.pth"));
        using var noGrad = torch.no_grad();
        using var logits = model.call(io["input"]);

        var expected = io["logits"];
        var scale = expected.abs().max().item<float>();
        var difference = (logits - expected).abs().max().item<float>();
        output.WriteLine($"{name}: max |logit| {scale:G4}, max |difference| {difference:G3}, relative {difference / scale:G3}");
        Assert.True(difference <= RelativeTolerance * scale, $"{name}: max |difference| {difference} exceeds {RelativeTolerance} x {scale}");
        if (CnnClassify.Tests.Models.ZooSamples.FamilyRepresentatives.Contains(name))
        {
            // The newer families' exports give torchvision's logits in ONNX Runtime too.
            var onnx = reference.PathOf($"{name}.onnx");
            model.Configuration = model.Configuration with { InputHeight = (int)io["input"].shape[2], InputWidth = (int)io["input"].shape[3] };
            CnnClassify.Export.OnnxExport.ExportOnnx(model, onnx);
            using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx);
            var input = io["input"];
            var tensor = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(input.data<float>().ToArray(), [.. input.shape.Select(d => (int)d)]);
            using var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("input", tensor)]);
            var deployed = results.Single().AsEnumerable<float>().ToArray();
            var onnxDifference = deployed.Zip(expected.data<float>().ToArray(), (a, b) => Math.Abs(a - b)).Max();
            output.WriteLine($"{name}: ONNX Runtime max |difference| {onnxDifference:G3}");
            Assert.True(onnxDifference <= RelativeTolerance * scale, $"{name}: ONNX Runtime's logits differ by {onnxDifference}");
        }
    }

    [SkippableFact]
    public void A_torchvision_checkpoint_with_1000_classes_loads_into_a_10_class_model()
    {
        reference.SkipIfUnavailable();
        using var model = ResNet.ResNet18(numClasses: 10);
        var path = reference.PathOf("resnet18_1000.pth");

        var report = model.LoadWeights(path, strict: false);

        Assert.Equal(["fc.bias [1000] vs [10]", "fc.weight [1000, 512] vs [10, 512]"], report.ShapeMismatched.Order(StringComparer.Ordinal));
        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);
        Assert.Equal(model.state_dict().Count - 2, report.Loaded.Count);
        var file = StateDictFile.Read(path);
        TensorAssert.Equal(file["layer4.1.conv2.weight"], model.state_dict()["layer4.1.conv2.weight"], 0);
        using var logits = model.call(torch.randn(1, 3, 32, 32));
        Assert.Equal([1L, 10], logits.shape);
    }

    [SkippableFact]
    public void Parameters_loaded_from_a_pytorch_file_stay_trainable()
    {
        reference.SkipIfUnavailable();
        using var model = ResNet.ResNet18(numClasses: 10);

        model.LoadWeights(reference.PathOf("resnet18.pth"));

        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        Assert.Equal(model.parameters().Sum(p => p.numel()), model.TrainableParameters().Sum(p => p.numel()));
    }

    [SkippableFact]
    public void Strict_loading_of_a_mismatched_checkpoint_names_the_keys_and_changes_nothing()
    {
        reference.SkipIfUnavailable();
        using var model = ResNet.ResNet18(numClasses: 10);
        using var before = model.state_dict()["conv1.weight"].clone();
        var path = reference.PathOf("resnet18_1000.pth");

        var error = Assert.Throws<InvalidDataException>(() => model.LoadWeights(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("fc.weight [1000, 512] vs [10, 512]", error.Message);
        Assert.Contains("strict: false", error.Message);
        TensorAssert.Equal(before, model.state_dict()["conv1.weight"], 0);
    }

    [SkippableTheory]
    [InlineData("resnet18")]
    [InlineData("mobilenet_v2")]
    public void PyTorch_loads_our_safetensors_by_torchvisions_keys_and_gets_our_logits(string name)
    {
        reference.SkipIfUnavailable();
        torch.manual_seed(7);
        using var model = ModelZoo.Create(name, numClasses: 7);
        model.eval();
        using var input = torch.randn(2, 3, 48, 48);
        using var noGrad = torch.no_grad();
        using var logits = model.call(input);
        var weights = reference.PathOf($"ours_{name}.safetensors");
        var inputs = reference.PathOf($"ours_{name}_input.safetensors");
        var result = reference.PathOf($"ours_{name}_logits.safetensors");
        model.SaveSafetensors(weights);
        SafetensorsFile.Write(inputs, new Dictionary<string, Tensor> { ["input"] = input });

        var script = RepositoryPaths.Combine("tests", "CnnClassify.Tests", "Parity", "load_in_torchvision.py");
        var (exitCode, text) = TorchvisionReference.RunPython(script, name, "7", weights, inputs, result);

        Assert.True(exitCode == 0, text);
        var theirs = SafetensorsFile.Read(result)["logits"];
        TensorAssert.Equal(logits, theirs, RelativeTolerance * logits.abs().max().item<float>());
    }

    [SkippableFact]
    public void PyTorch_loads_the_checkpoint_of_a_channels_last_trainer_strictly_and_gets_our_logits()
    {
        reference.SkipIfUnavailable();
        torch.manual_seed(7);
        using var model = ModelZoo.Create("resnet18", new ModelOptions { NumClasses = 7, InChannels = 3, ImageSize = 32 });
        var images = torch.randint(0, 256, [8, 3, 32, 32], dtype: ScalarType.Byte, generator: new Generator(3));
        var data = new CnnClassify.Data.TensorDataset(images, [.. Enumerable.Range(0, 8).Select(i => (long)(i % 7))], [.. Enumerable.Range(0, 7).Select(i => $"c{i}")]);
        var trainer = CnnClassify.Training.Trainer.For(model).UseOptimizer(CnnClassify.Training.OptimizerSpec.Adam(1e-2)).UseChannelsLast().Build();
        trainer.Fit(new CnnClassify.Data.DataLoader(data, new CnnClassify.Data.Transforms.ToTensor(), new CnnClassify.Data.DataLoaderOptions { BatchSize = 4 }), null, epochs: 1);
        Assert.True(model.state_dict()["layer1.0.conv1.weight"].IsChannelsLast());
        var checkpoint = reference.PathOf("channels_last.ckpt");
        trainer.SaveCheckpoint(checkpoint);
        var weights = reference.PathOf("channels_last.safetensors");
        using (var archive = System.IO.Compression.ZipFile.OpenRead(checkpoint))
        {
            using var entry = archive.GetEntry("model.safetensors")!.Open();
            using var file = File.Create(weights);
            entry.CopyTo(file);
        }

        model.eval();
        using var input = torch.randn(2, 3, 32, 32);
        using var noGrad = torch.no_grad();
        using var logits = model.call(input.ToChannelsLast());
        var inputs = reference.PathOf("channels_last_input.safetensors");
        var result = reference.PathOf("channels_last_logits.safetensors");
        SafetensorsFile.Write(inputs, new Dictionary<string, Tensor> { ["input"] = input });

        var script = RepositoryPaths.Combine("tests", "CnnClassify.Tests", "Parity", "load_in_torchvision.py");
        var (exitCode, text) = TorchvisionReference.RunPython(script, "resnet18", "7", weights, inputs, result);

        Assert.True(exitCode == 0, text);
        var theirs = SafetensorsFile.Read(result)["logits"];
        TensorAssert.Equal(logits, theirs, RelativeTolerance * logits.abs().max().item<float>());
    }

    // VGG's and AlexNet's 4096-wide hidden layers hold most of their weights; 64 keeps files and tests small.
    internal static void NarrowClassifier(string name, ClassificationModel model)
    {
        if (!name.StartsWith("vgg", StringComparison.Ordinal) && name != "alexnet")
        {
            return;
        }

        var (first, second, inputs) = name == "alexnet" ? ("1", "4", 256 * 6 * 6) : ("0", "3", 512 * 7 * 7);
        model.ReplaceModule($"classifier.{first}", nn.Linear(inputs, 64));
        model.ReplaceModule($"classifier.{second}", nn.Linear(64, 64));
        model.ReplaceModule("classifier.6", nn.Linear(64, 10));
    }
}
