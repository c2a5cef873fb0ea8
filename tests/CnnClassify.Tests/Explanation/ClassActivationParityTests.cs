using CnnClassify.Explanation;
using CnnClassify.Models;
using CnnClassify.Serialization;
using CnnClassify.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Explanation;

/// <summary>
/// Seeded ResNet-18 and MobileNetV2 weights and two fixed images, saved for cam_reference.py,
/// which computes the maps by hand in PyTorch with forward hooks and autograd.
/// </summary>
public sealed class CamReference : IDisposable
{
    public CamReference()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("cnnclassify-cam-").FullName;
        Seeding.Seed(3);
        Images = torch.randn(2, 3, 224, 224);
        Classes = [3, 7];
        SafetensorsFile.Write(Path.Combine(Directory, "input.safetensors"), [new("images", Images), new("classes", torch.tensor(Classes.Select(c => (long)c).ToArray()))]);
        foreach (var name in Names)
        {
            Seeding.Seed(5);
            using var model = ModelZoo.Create(name, numClasses: 10);
            // BatchNorm statistics from a few random batches, so activations keep their scale through the depth.
            using (torch.no_grad())
            {
                for (var i = 0; i < 3; i++)
                {
                    using var batch = torch.randn(4, 3, 224, 224);
                    using var _ = model.call(batch);
                }
            }

            model.eval();
            model.SaveSafetensors(Path.Combine(Directory, $"{name}.safetensors"));
        }

        var (exit, output) = PythonProcess.Run(RepositoryPaths.Combine("tests", "CnnClassify.Tests", "Explanation", "cam_reference.py"), Directory);
        if (exit != 0)
        {
            UnavailableReason = $"the PyTorch reference could not be made (exit {exit}): {output.Trim().Split('\n').LastOrDefault()}";
            if (PythonProcess.InRoot)
            {
                throw new InvalidOperationException($"{UnavailableReason}\n{output}");
            }
        }
    }

    public static string[] Names { get; } = ["resnet18", "mobilenet_v2"];

    public string Directory { get; }

    public Tensor Images { get; }

    public int[] Classes { get; }

    public string? UnavailableReason { get; }

    public ClassificationModel Model(string name)
    {
        var model = ModelZoo.Create(name, numClasses: 10);
        var report = model.LoadWeights(Path.Combine(Directory, $"{name}.safetensors"));
        Assert.True(report.IsExact, report.ToString());
        return model;
    }

    public Dictionary<string, Tensor> Expected(string name) => SafetensorsFile.Read(Path.Combine(Directory, $"{name}.cam.safetensors"));

    public void Dispose()
    {
        Images.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>Grad-CAM, Grad-CAM++ and Score-CAM against the hand-written PyTorch reference.</summary>
public sealed class ClassActivationParityTests(CamReference reference, ITestOutputHelper output) : IClassFixture<CamReference>
{
    // The maps sum hundreds of channels of float32 products from two libraries' kernels; 1e-4 of
    // the largest value allows their rounding and nothing more.
    private const double Tolerance = 1e-4;

    public static TheoryData<string> Names => new(CamReference.Names);

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Grad_CAM_and_Grad_CAM_plus_plus_maps_equal_the_PyTorch_reference(string name)
    {
        Skip.If(reference.UnavailableReason is not null, reference.UnavailableReason);
        using var model = reference.Model(name);
        var expected = reference.Expected(name);
        foreach (var (method, key) in new[] { (CamMethod.GradCam, "gradcam"), (CamMethod.GradCamPlusPlus, "gradcampp") })
        {
            var mapper = new ClassActivationMapper(model, method);
            Assert.Equal(name == "resnet18" ? "layer4" : "features.18", mapper.Layer);
            using var predicted = mapper.Compute(reference.Images);
            using var given = mapper.Compute(reference.Images, reference.Classes);

            Assert.Equal(expected["predicted"].data<long>().Select(p => (int)p), predicted.Predicted);
            Assert.Equal(predicted.Predicted, predicted.Classes);
            Assert.Equal(reference.Classes, given.Classes);
            Assert.Equal([2L, 7, 7], predicted.Map.shape);
            AssertClose($"{name} {key} predicted", expected[$"{key}.predicted"], predicted.Map);
            Assert.True(predicted.Map.max().item<float>() > 0, $"{name} {key}: the map of the predicted class is all zero, so it tests little");
            AssertClose($"{name} {key} given", expected[$"{key}.given"], given.Map);
            var probabilities = expected["probabilities.predicted"].data<float>().ToArray();
            Assert.All(Enumerable.Range(0, 2), i => Assert.Equal(probabilities[i], predicted.Probabilities[i], 5));

            if (method == CamMethod.GradCam)
            {
                using var upsampled = predicted.Upsampled();
                Assert.Equal([2L, 224, 224], upsampled.shape);
                AssertClose($"{name} upsampled", expected["gradcam.upsampled"], upsampled);
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Score_CAM_maps_equal_the_PyTorch_reference(string name)
    {
        Skip.If(reference.UnavailableReason is not null, reference.UnavailableReason);
        using var model = reference.Model(name);
        var expected = reference.Expected(name);

        // One forward pass per channel (512 and 1,280 here), so one image only.
        using var image = reference.Images.narrow(0, 0, 1);
        using var maps = new ClassActivationMapper(model, CamMethod.ScoreCam, name == "resnet18" ? "layer4" : "features.18") { ScoreCamBatchSize = 64 }.Compute(image);

        Assert.Equal([1L, 7, 7], maps.Map.shape);
        Assert.True(maps.Map.max().item<float>() > 0);
        AssertClose($"{name} scorecam", expected["scorecam.predicted"], maps.Map);
    }

    private void AssertClose(string what, Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        var scale = expected.abs().max().item<float>();
        var difference = (actual - expected).abs().max().item<float>();
        output.WriteLine($"{what}: max {scale:G4}, max |difference| {difference:G3}, relative {difference / scale:G3}");
        // A class whose gradients are all negative has an all-zero map; then ours must be zero too.
        Assert.True(difference <= Tolerance * scale, $"{what}: max |difference| {difference} exceeds {Tolerance} x {scale}");
    }
}
