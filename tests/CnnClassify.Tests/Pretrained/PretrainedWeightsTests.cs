using CnnClassify.Data;
using CnnClassify.Downloads;
using CnnClassify.Export;
using CnnClassify.Inference;
using CnnClassify.Models;
using CnnClassify.Runtime;
using CnnClassify.Serialization;
using TorchSharp;
using Xunit.Abstractions;

namespace CnnClassify.Tests.Pretrained;

/// <summary>The catalogue's preprocessing and models built by name agree with torchvision 0.21.</summary>
[Collection(SerialTests.Name)]
public sealed class PretrainedWeightsTests : IClassFixture<PretrainedReference>
{
    private readonly PretrainedReference _reference;
    private readonly ITestOutputHelper _output;

    public PretrainedWeightsTests(PretrainedReference reference, ITestOutputHelper output) => (_reference, _output) = (reference, output);

    [Fact]
    public void The_catalogue_lists_torchvisions_weights_with_their_facts()
    {
        var v2 = WeightCatalog.Get("resnet50", "IMAGENET1K_V2");
        var byDefault = WeightCatalog.Get("ResNet50");
        var efficient = WeightCatalog.Get("efficientnet_b0");

        Assert.Equal(68, WeightCatalog.All.Select(w => w.Model).Distinct().Count());
        Assert.Equal(97, WeightCatalog.All.Count);
        Assert.Empty(WeightCatalog.All.Select(w => w.Model).Distinct().Except(ModelZoo.Names));
        Assert.Same(v2, byDefault);
        Assert.Equal(("resnet50-11ad3fa6.pth", "11ad3fa6", 224, 232), (v2.FileName, v2.Sha256Prefix, v2.CropSize, v2.Preprocessing.ResizeSize));
        Assert.Equal((80.858, 95.434, 25_557_032L), (v2.Accuracy1, v2.Accuracy5, v2.Parameters));
        Assert.Equal(CnnClassify.Data.Transforms.Interpolation.Bicubic, efficient.Preprocessing.Interpolation);
        Assert.Equal("7f5810bc", efficient.Sha256Prefix);
        Assert.Equal(1000, WeightCatalog.ImageNetCategories.Count);
        Assert.Equal("golden retriever", WeightCatalog.ImageNetCategories[207]);
        Assert.All(WeightCatalog.All, w => Assert.InRange(w.Sha256Prefix.Length, 8, 10));
        Assert.Equal("3ffadce67e", WeightCatalog.Get("mnasnet0_5").Sha256Prefix);
        var inception = WeightCatalog.Get("inception_v3");
        Assert.Equal((299, 342, true), (inception.CropSize, inception.Preprocessing.ResizeSize, inception.Configuration.TransformInput));
        Assert.Equal((480, 480), (WeightCatalog.Get("efficientnet_v2_l").CropSize, WeightCatalog.Get("efficientnet_v2_l").Preprocessing.ResizeSize));
        Assert.Equal("IMAGENET1K_SWAG_E2E_V1", WeightCatalog.DefaultName("regnet_y_128gf"));
        Assert.Equal((236, CnnClassify.Data.Transforms.Interpolation.Bilinear), (WeightCatalog.Get("convnext_tiny").Preprocessing.ResizeSize, WeightCatalog.Get("convnext_tiny").Preprocessing.Interpolation));
        var error = Assert.Throws<ArgumentException>(() => WeightCatalog.Get("resnet18", "IMAGENET1K_V2"));
        Assert.Contains("it has IMAGENET1K_V1 and DEFAULT (IMAGENET1K_V1)", error.Message, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("image", 203, 301)]
    [InlineData("photo-320x240", 240, 320)]
    [InlineData("photo-301x233", 233, 301)]
    public void Every_entrys_preprocessing_gives_torchvisions_tensor_output(string stem, long height, long width)
    {
        _reference.SkipIfUnavailable();
        using var expected = new DisposableTensors(SafetensorsFile.Read(_reference.PathOf("transforms.safetensors")));
        using var image = new ImageDecoder(ColorMode.Rgb).Decode(_reference.PathOf(stem + ".png"));
        var presets = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(_reference.PathOf("presets.json")))!;
        Assert.Equal([3L, height, width], image.shape);
        Assert.Equal(WeightCatalog.All.Count, presets.Count);

        foreach (var weights in WeightCatalog.All)
        {
            using var actual = weights.Transforms().Apply(image, new Random(0));
            var preset = presets[$"{weights.Model}.{weights.Name}"];
            var tensorPath = expected.Tensors[$"{stem}.{preset}.tensor"];
            var pilPath = expected.Tensors[$"{stem}.{preset}.pil"];
            var difference = (actual - tensorPath).abs().max().item<float>();
            var pilDifference = (actual - pilPath).abs().max().item<float>();
            _output.WriteLine($"{stem} {weights}: max |ours - torchvision tensor path| {difference:E2}, max |ours - PIL path| {pilDifference:E2}");
            Assert.Equal(tensorPath.shape, actual.shape);
            Assert.True(difference <= 1e-5, $"{stem} {weights}: {difference} from torchvision's tensor path");
        }
    }

    [SkippableTheory]
    [InlineData("image")]
    [InlineData("photo-320x240")]
    [InlineData("photo-301x233")]
    public void Centre_crops_start_where_torchvisions_do_when_a_margin_is_odd_or_the_image_is_padded(string stem)
    {
        _reference.SkipIfUnavailable();
        using var expected = new DisposableTensors(SafetensorsFile.Read(_reference.PathOf("crops.safetensors")));
        using var image = new ImageDecoder(ColorMode.Rgb).Decode(_reference.PathOf(stem + ".png"));

        foreach (var (key, crop) in expected.Tensors.Where(p => p.Key.StartsWith(stem + ".", StringComparison.Ordinal)))
        {
            using var actual = new CnnClassify.Data.Transforms.CenterCrop(crop.shape[1], crop.shape[2]).Apply(image, new Random(0));
            Assert.Equal(crop.shape, actual.shape);
            Assert.True(actual.eq(crop).all().item<bool>(), $"{key}: the crop differs from torchvision's center_crop");
        }
    }

    [SkippableTheory]
    [InlineData("resnet18")]
    [InlineData("densenet121")]
    [InlineData("googlenet")]
    public void A_model_created_by_name_from_the_cache_gives_torchvisions_log_probabilities(string name)
    {
        _reference.SkipIfUnavailable();
        using var expected = new DisposableTensors(SafetensorsFile.Read(_reference.PathOf("logprobs.safetensors")));
        using var environment = new EnvironmentScope(("TORCH_HOME", _reference.PathOf("torch_home")), (WeightCache.BaseUrlVariable, "http://127.0.0.1:9/unreachable"));

        using var model = ModelZoo.Create(name, weights: "IMAGENET1K_V1");
        using var predictor = new Predictor(model, new PredictorOptions { Precision = CnnClassify.Runtime.Precision.Fp32 });
        var prediction = predictor.Predict(_reference.PathOf("image.png"));

        var reference = expected.Tensors["image." + name].data<float>().ToArray();
        var ours = prediction.Probabilities.Select(p => Math.Log(p)).ToArray();
        var worst = reference.Zip(ours, (r, o) => Math.Abs(r - o)).Max();
        _output.WriteLine($"{name}: max |log p - torchvision's| {worst:E2}");
        Assert.Equal(1000, prediction.ClassNames.Count);
        Assert.Equal(WeightCatalog.ImageNetCategories, prediction.ClassNames);
        Assert.True(worst < 1e-4, $"{name}: log-probabilities differ by up to {worst}");
    }

    public static TheoryData<string> FamilyDefaults => new(
        "convnext_tiny", "densenet201", "efficientnet_b1", "efficientnet_v2_s", "inception_v3", "mnasnet0_5",
        "mobilenet_v3_small", "regnet_y_400mf", "resnext50_32x4d", "shufflenet_v2_x0_5", "squeezenet1_1", "wide_resnet50_2");

    [SkippableTheory]
    [MemberData(nameof(FamilyDefaults))]
    public void Each_familys_default_weights_load_from_the_cache_and_give_torchvisions_log_probabilities_on_a_photo_with_odd_margins(string name)
    {
        // photo-320x240 through each model's own resize and crop (236/224, 342/299, 255/240,
        // 384/384, ...), with the file torchvision would download, auxiliary heads and all.
        _reference.SkipIfUnavailable();
        using var expected = new DisposableTensors(SafetensorsFile.Read(_reference.PathOf("logprobs.safetensors")));
        using var environment = new EnvironmentScope(("TORCH_HOME", _reference.PathOf("torch_home")), (WeightCache.BaseUrlVariable, "http://127.0.0.1:9/unreachable"));

        using var model = ModelZoo.Create(name, weights: "DEFAULT");
        using var predictor = new Predictor(model, new PredictorOptions { Precision = CnnClassify.Runtime.Precision.Fp32 });
        var prediction = predictor.Predict(_reference.PathOf("photo-320x240.png"));

        var reference = expected.Tensors["photo-320x240." + name].data<float>().ToArray();
        var worst = reference.Zip(prediction.Probabilities, (r, p) => Math.Abs(r - Math.Log(p))).Max();
        _output.WriteLine($"{name} {WeightCatalog.DefaultName(name)}: max |log p - torchvision's| {worst:E2}");
        var weights = WeightCatalog.Get(name);
        Assert.Equal((weights.CropSize, weights.Preprocessing.ResizeSize, weights.Preprocessing.Interpolation), (model.Configuration.InputHeight, model.Configuration.Preprocessing.ResizeSize, model.Configuration.Preprocessing.Interpolation));
        Assert.True(worst < 1e-4, $"{name}: log-probabilities differ by up to {worst}");
    }

    [SkippableTheory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    public async Task A_photo_with_odd_crop_margins_gets_torchvisions_log_probabilities_from_the_cli_and_the_onnx_predictor(string name)
    {
        // 320x240 resized to 341x256 (resnet18) or 309x232 (resnet50) leaves a margin of 117 or 85
        // before the 224 crop: half of it ends in .5, where torchvision rounds half to even.
        _reference.SkipIfUnavailable();
        using var expected = new DisposableTensors(SafetensorsFile.Read(_reference.PathOf("logprobs.safetensors")));
        using var environment = new EnvironmentScope(("TORCH_HOME", _reference.PathOf("torch_home")), (WeightCache.BaseUrlVariable, "http://127.0.0.1:9/unreachable"));
        var photo = _reference.PathOf("photo-320x240.png");
        var reference = expected.Tensors[$"photo-320x240.{name}"].data<float>().ToArray();

        var (code, json, error) = await Cli("predict", "--model", name, "--pretrained", photo, "--json", "--amp", "none");
        Assert.True(code == 0, error);
        var probabilities = System.Text.Json.JsonDocument.Parse(json).RootElement[0].GetProperty("probabilities").EnumerateArray().Select(p => p.GetDouble()).ToArray();
        var onnx = _reference.PathOf($"{name}.onnx");
        using (var model = ModelZoo.Create(name, weights: "DEFAULT"))
        {
            model.ExportOnnx(onnx);
        }

        using var deployed = new CnnClassify.Onnx.OnnxPredictor(onnx);
        var deployedProbabilities = deployed.Predict(photo).Probabilities;

        var cliWorst = reference.Zip(probabilities, (r, p) => Math.Abs(r - Math.Log(p))).Max();
        var onnxWorst = reference.Zip(deployedProbabilities, (r, p) => Math.Abs(r - Math.Log(p))).Max();
        _output.WriteLine($"{name}: max |log p - torchvision's|: CLI {cliWorst:E2}, ONNX predictor {onnxWorst:E2}");
        Assert.Equal(1000, probabilities.Length);
        Assert.True(cliWorst < 1e-4, $"{name}: the CLI's log-probabilities differ by up to {cliWorst}");
        Assert.True(onnxWorst < 1e-4, $"{name}: the ONNX predictor's log-probabilities differ by up to {onnxWorst}");
    }

    [SkippableFact]
    public void Fine_tuning_starts_from_the_backbone_with_a_fresh_head()
    {
        _reference.SkipIfUnavailable();
        using var environment = new EnvironmentScope(("TORCH_HOME", _reference.PathOf("torch_home")), (WeightCache.BaseUrlVariable, "http://127.0.0.1:9/unreachable"));

        using var full = ModelZoo.Create("resnet18", weights: "DEFAULT");
        using var transfer = ModelZoo.Create("resnet18", numClasses: 5, weights: "DEFAULT");

        Assert.Equal(5, transfer.NumClasses);
        Assert.Empty(transfer.Configuration.ClassNames);
        Assert.Equal(256, transfer.Configuration.Preprocessing.ResizeSize);
        var fullState = full.state_dict();
        foreach (var (key, tensor) in transfer.state_dict().Where(p => !p.Key.StartsWith("fc.", StringComparison.Ordinal)))
        {
            Assert.True(tensor.allclose(fullState[key], rtol: 0, atol: 0), key);
        }

        Assert.All(transfer.parameters(), p => Assert.True(p.requires_grad));
        var error = Assert.Throws<ArgumentException>(() => ModelZoo.Create("resnet18", numClasses: 5, inChannels: 1, weights: "DEFAULT"));
        Assert.Contains("take RGB images", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_cli_lists_the_catalogue_and_predicts_with_published_weights()
    {
        _reference.SkipIfUnavailable();
        using var environment = new EnvironmentScope(("TORCH_HOME", _reference.PathOf("torch_home")), (WeightCache.BaseUrlVariable, "http://127.0.0.1:9/unreachable"));
        var image = _reference.PathOf("image.png");

        var (listCode, list, _) = await Cli("weights", "resnet50");
        var (code, predicted, error) = await Cli("predict", "--model", "resnet18", "--pretrained", image, "--top", "2");
        var (namedCode, named, _) = await Cli("predict", "--model", "resnet18", "--pretrained", "IMAGENET1K_V1", image);
        var (offlineCode, _, offline) = await Cli("predict", "--model", "resnet34", "--pretrained", image);

        Assert.Equal(0, listCode);
        Assert.Contains(list.Split('\n'), line => line.StartsWith("resnet50           IMAGENET1K_V2 (DEFAULT)           80.86  95.43   25,557,032    4.09", StringComparison.Ordinal) && line.TrimEnd().EndsWith("yes", StringComparison.Ordinal));
        Assert.Contains(list.Split('\n'), line => line.StartsWith("resnet50           IMAGENET1K_V1 ", StringComparison.Ordinal) && line.TrimEnd().EndsWith("no", StringComparison.Ordinal));
        Assert.True(code == 0, error);
        using var model = ModelZoo.Create("resnet18", weights: "DEFAULT");
        using var predictor = new Predictor(model);
        var top = predictor.Predict(image).TopK(2);
        Assert.StartsWith($"{image}: {top[0].Name} (", predicted, StringComparison.Ordinal);
        Assert.Contains($"    {top[1].Name} (", predicted, StringComparison.Ordinal);
        Assert.Equal(0, namedCode);
        Assert.Equal(predicted.Split('\n')[0], named.Split('\n')[0]);
        Assert.Equal(1, offlineCode);
        Assert.Contains("resnet34-b627a593.pth by hand", offline, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_cli_fine_tunes_from_published_weights_with_their_normalisation()
    {
        _reference.SkipIfUnavailable();
        using var environment = new EnvironmentScope(("TORCH_HOME", _reference.PathOf("torch_home")), (WeightCache.BaseUrlVariable, "http://127.0.0.1:9/unreachable"));
        var root = Path.Combine(_reference.Directory, "cli-data");
        foreach (var (split, count) in new[] { ("train", 6), ("test", 2) })
        {
            foreach (var (label, i) in new[] { "ant", "bee" }.SelectMany(label => Enumerable.Range(0, count).Select(i => (label, i))))
            {
                CnnClassify.Tests.Data.TestImages.Write(Path.Combine(root, split, label, $"{i}.png"), 20, 20, seed: label.Length * 50 + i);
            }
        }

        var outDir = Path.Combine(_reference.Directory, "cli-run");
        var (code, output, error) = await Cli("train", "--model", "resnet18", "--pretrained", "--freeze-backbone", "--dataset", "imagefolder", "--data", root,
            "--image-size", "32", "--epochs", "1", "--batch-size", "4", "--val-split", "0.25", "--out", outDir);

        Assert.True(code == 0, $"{error}\n{output}");
        Assert.Contains("pretrained weights: resnet18 IMAGENET1K_V1", output, StringComparison.Ordinal);
        var configuration = CnnClassify.Training.Checkpoint.ReadConfiguration(Path.Combine(outDir, "last.ckpt"));
        Assert.Equal(["ant", "bee"], configuration.ClassNames);
        Assert.Equal(("resnet18", 32), (configuration.Architecture, configuration.InputHeight));
        Assert.Equal(Preprocessing.ImageNetMean, configuration.Preprocessing.Mean);
    }

    [SkippableFact]
    public async Task The_cli_fine_tunes_a_newer_family_from_its_published_weights_with_layer_decay()
    {
        _reference.SkipIfUnavailable();
        using var environment = new EnvironmentScope(("TORCH_HOME", _reference.PathOf("torch_home")), (WeightCache.BaseUrlVariable, "http://127.0.0.1:9/unreachable"));
        var root = Path.Combine(_reference.Directory, "cli-data-convnext");
        foreach (var (split, count) in new[] { ("train", 6), ("test", 2) })
        {
            foreach (var (label, i) in new[] { "ant", "bee" }.SelectMany(label => Enumerable.Range(0, count).Select(i => (label, i))))
            {
                CnnClassify.Tests.Data.TestImages.Write(Path.Combine(root, split, label, $"{i}.png"), 40, 40, seed: label.Length * 70 + i);
            }
        }

        var outDir = Path.Combine(_reference.Directory, "cli-run-convnext");
        var (code, output, error) = await Cli("train", "--model", "convnext_tiny", "--pretrained", "--dataset", "imagefolder", "--data", root,
            "--image-size", "32", "--epochs", "1", "--batch-size", "4", "--val-split", "0.25", "--lr", "0.001", "--layer-decay", "0.5", "--out", outDir);

        Assert.True(code == 0, $"{error}\n{output}");
        Assert.Contains("pretrained weights: convnext_tiny IMAGENET1K_V1", output, StringComparison.Ordinal);
        Assert.Contains("layer decay 0.5: head 0.001, classifier 0.0005, stage4 0.00025, stage3 0.000125, stage2 6.25E-05, stage1 3.13E-05, features.0 1.56E-05", output, StringComparison.Ordinal);
        var configuration = CnnClassify.Training.Checkpoint.ReadConfiguration(Path.Combine(outDir, "last.ckpt"));
        Assert.Equal(("convnext_tiny", 32, 2), (configuration.Architecture, configuration.InputHeight, configuration.NumClasses));
    }

    private static async Task<(int Code, string Output, string Error)> Cli(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CnnClassify.Cli.CliApp.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private sealed class DisposableTensors(Dictionary<string, torch.Tensor> tensors) : IDisposable
    {
        public Dictionary<string, torch.Tensor> Tensors { get; } = tensors;

        public void Dispose()
        {
            foreach (var tensor in Tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }
}
