using CnnClassify.Models;

namespace CnnClassify.Tests.Models;

/// <summary>
/// Which zoo models the heavier per-model tests build. Key and shape parity covers every name on
/// the meta device; tests that allocate weights or run a forward pass take the models of the
/// first zoo and one small model of each newer family, so that RegNet-Y 128GF's 645 million
/// parameters never reach the suite.
/// </summary>
public static class ZooSamples
{
    /// <summary>One model of each family added with torchvision's full catalogue.</summary>
    public static readonly string[] FamilyRepresentatives =
    [
        "convnext_tiny", "densenet201", "efficientnet_b1", "efficientnet_v2_s", "inception_v3", "mnasnet0_5",
        "mobilenet_v3_small", "mobilenet_v3_large", "regnet_x_400mf", "regnet_y_400mf", "resnext50_32x4d",
        "shufflenet_v2_x0_5", "squeezenet1_0", "squeezenet1_1", "wide_resnet50_2",
    ];

    /// <summary>The models of the first zoo.</summary>
    public static readonly string[] FirstZoo =
    [
        "alexnet", "densenet121", "densenet169", "efficientnet_b0", "googlenet", "lenet5", "mobilenet_v2",
        "resnet101", "resnet152", "resnet18", "resnet34", "resnet50", "simplecnn",
        "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    ];

    /// <summary>The models the heavier per-model tests build.</summary>
    public static TheoryData<string> Built => new([.. FirstZoo, .. FamilyRepresentatives]);

    /// <summary>The input side a test uses for <paramref name="name"/>: 28 for the small-image models, else 64 or the model's minimum.</summary>
    /// <param name="name">A zoo name.</param>
    public static int ImageSize(string name) => name is "simplecnn" or "lenet5" ? 28 : Math.Max(64, ModelZoo.MinimumImageSize(name));
}
