using CnnClassify.Models;
using Xunit.Abstractions;

namespace CnnClassify.Tests.Models;

/// <summary>The summary's MACs against the operation counts torchvision publishes with its weights.</summary>
public class ModelCostTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names => new(
        "resnet50", "convnext_tiny", "densenet201", "efficientnet_b1", "efficientnet_v2_s", "inception_v3", "mnasnet0_5",
        "mobilenet_v3_small", "regnet_y_400mf", "resnext50_32x4d", "shufflenet_v2_x0_5", "squeezenet1_1", "wide_resnet50_2");

    [Theory]
    [MemberData(nameof(Names))]
    public void Summary_MACs_at_the_weights_crop_size_are_within_3_percent_of_torchvisions_published_GFLOPS(string name)
    {
        // torchvision counts a multiply-add as one operation, as MACs do; it also counts a few
        // element-wise steps (squeeze-and-excitation scaling, layer scale) that MACs leave out.
        var weights = WeightCatalog.Get(name);
        // Inception v3's published weights, and so their counts, include the auxiliary head.
        using var model = ModelZoo.Create(name, new ModelOptions { AuxiliaryHeads = name == "inception_v3" });
        model.Configuration = model.Configuration with { InputHeight = weights.CropSize, InputWidth = weights.CropSize };

        var summary = model.Summary();

        var giga = summary.MultiplyAccumulates / 1e9;
        output.WriteLine($"{name} at {weights.CropSize}: {giga:F3} GMACs, torchvision {weights.Gflops:F3} GFLOPS, ratio {giga / weights.Gflops:F4}");
        Assert.Equal(weights.Parameters, summary.TotalParameters);
        Assert.InRange(giga / weights.Gflops, 0.97, 1.03);
    }
}
