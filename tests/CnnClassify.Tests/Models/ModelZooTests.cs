using CnnClassify.Models;
using TorchSharp;

namespace CnnClassify.Tests.Models;

[Collection(SerialTests.Name)]
public class ModelZooTests
{
    public static TheoryData<string> BuiltNames => ZooSamples.Built;

    [Fact]
    public void Every_zoo_model_is_listed_by_name()
    {
        string[] catalogue =
        [
            "convnext_base", "convnext_large", "convnext_small", "convnext_tiny", "densenet161", "densenet201",
            "efficientnet_b1", "efficientnet_b2", "efficientnet_b3", "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
            "efficientnet_v2_l", "efficientnet_v2_m", "efficientnet_v2_s", "inception_v3", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
            "mobilenet_v3_large", "mobilenet_v3_small", "regnet_x_16gf", "regnet_x_1_6gf", "regnet_x_32gf", "regnet_x_3_2gf", "regnet_x_400mf",
            "regnet_x_800mf", "regnet_x_8gf", "regnet_y_128gf", "regnet_y_16gf", "regnet_y_1_6gf", "regnet_y_32gf", "regnet_y_3_2gf",
            "regnet_y_400mf", "regnet_y_800mf", "regnet_y_8gf", "resnext101_32x8d", "resnext101_64x4d", "resnext50_32x4d",
            "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0", "squeezenet1_0", "squeezenet1_1",
            "wide_resnet101_2", "wide_resnet50_2",
        ];

        Assert.Equal(ZooSamples.FirstZoo.Concat(catalogue).Order(StringComparer.Ordinal), ModelZoo.Names);
    }

    [Fact]
    public void An_unknown_name_lists_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => ModelZoo.Create("resnet19"));

        Assert.StartsWith("Unknown model 'resnet19'. Known models: alexnet, convnext_base, convnext_large,", error.Message);
        Assert.Equal("name", error.ParamName);
    }

    [Fact]
    public void Names_are_case_insensitive()
    {
        SerialTests.OnMetaDevice(() =>
        {
            using var model = ModelZoo.Create("ResNet18", numClasses: 3);
            Assert.IsType<ResNet>(model);
        });
    }

    [Theory]
    [MemberData(nameof(BuiltNames))]
    public void Every_model_takes_grayscale_input_and_any_class_count(string name)
    {
        using var model = ModelZoo.Create(name, numClasses: 7, inChannels: 1);
        model.eval();
        var size = ZooSamples.ImageSize(name);

        using var noGrad = torch.no_grad();
        using var logits = model.call(torch.randn(2, 1, size, size));

        Assert.Equal([2L, 7], logits.shape);
        Assert.Equal(7, model.NumClasses);
    }

    [Theory]
    [InlineData("simplecnn", 390_858)]
    [InlineData("lenet5", 61_706)]
    public void The_seeds_models_have_pytorchs_parameter_counts(string name, long parameters)
    {
        using var model = ModelZoo.Create(name, numClasses: 10, inChannels: 1);
        using var logits = model.call(torch.randn(3, 1, 28, 28));

        Assert.Equal(parameters, TensorAssert.ParameterCount(model));
        Assert.Equal([3L, 10], logits.shape);
    }

    [Theory]
    [InlineData("resnet50", "fc", 2048)]
    [InlineData("googlenet", "fc", 1024)]
    [InlineData("vgg11", "classifier.6", 4096)]
    [InlineData("alexnet", "classifier.6", 4096)]
    [InlineData("mobilenet_v2", "classifier.1", 1280)]
    [InlineData("efficientnet_b0", "classifier.1", 1280)]
    [InlineData("densenet121", "classifier", 1024)]
    [InlineData("simplecnn", "classifier.3", 256)]
    [InlineData("lenet5", "classifier.4", 84)]
    [InlineData("convnext_tiny", "classifier.2", 768)]
    [InlineData("efficientnet_v2_s", "classifier.1", 1280)]
    [InlineData("inception_v3", "fc", 2048)]
    [InlineData("mnasnet0_5", "classifier.1", 1280)]
    [InlineData("mobilenet_v3_small", "classifier.3", 1024)]
    [InlineData("regnet_y_400mf", "fc", 440)]
    [InlineData("resnext50_32x4d", "fc", 2048)]
    [InlineData("shufflenet_v2_x0_5", "fc", 1024)]
    public void ReplaceHead_swaps_the_familys_final_layer(string name, string head, long features)
    {
        SerialTests.OnMetaDevice(() =>
        {
            using var model = ModelZoo.Create(name, new ModelOptions { AuxiliaryHeads = true });

            model.ReplaceHead(5);

            Assert.Equal(head, model.HeadName);
            Assert.Equal([5L, features], model.state_dict()[$"{head}.weight"].shape);
            Assert.Equal(5, model.NumClasses);
            if (model is GoogLeNet)
            {
                Assert.Equal([5L, 1024], model.state_dict()["aux1.fc2.weight"].shape);
                Assert.Equal([5L, 1024], model.state_dict()["aux2.fc2.weight"].shape);
            }

            if (model is InceptionV3)
            {
                Assert.Equal([5L, 768], model.state_dict()["AuxLogits.fc.weight"].shape);
            }
        });
    }

    [Fact]
    public void SqueezeNets_head_is_a_1x1_convolution_that_ReplaceHead_swaps()
    {
        using var model = ModelZoo.Create("squeezenet1_1", numClasses: 4);
        model.eval();

        model.ReplaceHead(6);
        using var noGrad = torch.no_grad();
        using var logits = model.call(torch.randn(2, 3, 64, 64));

        Assert.Equal(6, model.NumClasses);
        Assert.Equal([6L, 512, 1, 1], model.state_dict()["classifier.1.weight"].shape);
        Assert.Equal([2L, 6], logits.shape);
        Assert.Contains("not a linear layer", Assert.Throws<InvalidOperationException>(() => model.Head).Message);
    }
}
