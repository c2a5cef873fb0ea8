using CnnClassify.Models;
using TorchSharp;

namespace CnnClassify.Tests.Models;

[Collection(SerialTests.Name)]
public class ModelZooTests
{
    public static TheoryData<string> AllNames => new(ModelZoo.Names);

    [Fact]
    public void Every_zoo_model_is_listed_by_name()
    {
        Assert.Equal(
            [
                "alexnet", "densenet121", "densenet169", "efficientnet_b0", "googlenet", "lenet5", "mobilenet_v2",
                "resnet101", "resnet152", "resnet18", "resnet34", "resnet50", "simplecnn",
                "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
            ],
            ModelZoo.Names);
    }

    [Fact]
    public void An_unknown_name_lists_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => ModelZoo.Create("resnet19"));

        Assert.StartsWith("Unknown model 'resnet19'. Known models: alexnet, densenet121,", error.Message);
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
    [MemberData(nameof(AllNames))]
    public void Every_model_takes_grayscale_input_and_any_class_count(string name)
    {
        using var model = ModelZoo.Create(name, numClasses: 7, inChannels: 1);
        model.eval();
        var size = name is "lenet5" or "simplecnn" ? 28 : 64;

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
        });
    }
}
