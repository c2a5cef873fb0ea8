using CnnClassify.Data.Transforms;
using CnnClassify.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Models;

public sealed class ModelConfigurationTests
{
    [Theory]
    [InlineData("simplecnn", 390_858)]
    [InlineData("lenet5", 61_706)]
    public void Small_image_models_default_to_their_own_1x28x28_input(string name, long parameters)
    {
        using var model = ModelZoo.Create(name, numClasses: 10);

        Assert.Equal(parameters, TensorAssert.ParameterCount(model));
        var configuration = model.Configuration;
        Assert.Equal((name, 10, 1, 28, 28), (configuration.Architecture, configuration.NumClasses, configuration.InChannels, configuration.InputHeight, configuration.InputWidth));
        Assert.Null(configuration.Preprocessing.ResizeSize);
        Assert.Empty(configuration.Preprocessing.Mean);
    }

    [Fact]
    public void A_zoo_models_summary_needs_no_input_shape()
    {
        using var model = ModelZoo.Create("lenet5", numClasses: 10);

        var lines = model.Summary().ToString().Split('\n').Select(line => line.TrimEnd()).ToList();

        Assert.Contains("Input shape: 1x28x28", lines);
        Assert.Contains("Total params: 61,706", lines);
    }

    [Fact]
    public void ImageNet_models_describe_torchvisions_evaluation_recipe()
    {
        using var model = ResNet.ResNet18(numClasses: 7);

        var configuration = model.Configuration;
        Assert.Equal(("resnet18", 7, 3, 224, 224), (configuration.Architecture, configuration.NumClasses, configuration.InChannels, configuration.InputHeight, configuration.InputWidth));
        Assert.Equal(256, configuration.Preprocessing.ResizeSize);
        Assert.Equal([0.485, 0.456, 0.406], configuration.Preprocessing.Mean);
        Assert.Equal([0.229, 0.224, 0.225], configuration.Preprocessing.Std);
    }

    [Fact]
    public void Replacing_the_head_updates_the_class_count_and_forgets_the_names()
    {
        using var model = ModelZoo.Create("lenet5", numClasses: 3);
        model.Configuration = model.Configuration with { ClassNames = ["a", "b", "c"] };

        model.ReplaceHead(5);

        Assert.Equal(5, model.Configuration.NumClasses);
        Assert.Empty(model.Configuration.ClassNames);
    }

    [Fact]
    public void Class_names_that_do_not_match_the_head_are_refused()
    {
        using var model = ModelZoo.Create("lenet5", numClasses: 3);

        var error = Assert.Throws<ArgumentException>(() => model.Configuration = model.Configuration with { ClassNames = ["a", "b"] });

        Assert.Contains("2 class names for 3 classes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configuration_survives_a_json_round_trip()
    {
        var configuration = ModelConfiguration.ImageNet("resnet50", 4, 3) with
        {
            ClassNames = ["w", "x", "y", "z"],
            InputHeight = 160,
            InputWidth = 192,
            Preprocessing = Preprocessing.ImageNet() with { ResizeSize = 176, Interpolation = Interpolation.Bicubic },
        };

        var json = configuration.ToJson();
        var read = ModelConfiguration.FromJson(json, "test.json");

        Assert.Equal("resnet50", json["architecture"]!.GetValue<string>());
        Assert.Equal("bicubic", json["preprocessing"]!["interpolation"]!.GetValue<string>());
        Assert.Equal((configuration.Architecture, configuration.NumClasses, configuration.InputHeight, configuration.InputWidth), (read.Architecture, read.NumClasses, read.InputHeight, read.InputWidth));
        Assert.Equal(configuration.ClassNames, read.ClassNames);
        Assert.Equal(configuration.Preprocessing.Mean, read.Preprocessing.Mean);
        Assert.Equal((176, Interpolation.Bicubic), (read.Preprocessing.ResizeSize, read.Preprocessing.Interpolation));
    }

    [Fact]
    public void A_damaged_configuration_names_its_source_and_the_problem()
    {
        var json = (ModelConfiguration.SmallImages("simplecnn", 3, 1, 28) with { ClassNames = ["a", "b", "c"] }).ToJson();
        json["num_classes"] = 4;

        var error = Assert.Throws<InvalidDataException>(() => ModelConfiguration.FromJson(json, "model.ckpt"));

        Assert.Contains("'model.ckpt'", error.Message, StringComparison.Ordinal);
        Assert.Contains("3 class names for 4 classes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_evaluation_transform_resizes_the_shorter_side_crops_and_normalises()
    {
        var configuration = ModelConfiguration.ImageNet("resnet18", 10, 3) with { InputHeight = 8, InputWidth = 8, Preprocessing = Preprocessing.ImageNet() with { ResizeSize = 10 } };
        using var image = torch.randint(0, 256, [3, 12, 20], ScalarType.Byte);

        using var actual = configuration.EvalTransform().Apply(image, new Random(0));
        using var expected = new Compose(new Resize(10), new CenterCrop(8), new ToTensor(), Normalize.ImageNet).Apply(image, new Random(0));

        Assert.Equal([3L, 8, 8], actual.shape);
        TensorAssert.Equal(expected, actual, 0);
    }

    [Fact]
    public void The_evaluation_transform_is_built_from_the_description_alone()
    {
        var described = new Preprocessing { ResizeSize = 256, Interpolation = Interpolation.Bicubic, Mean = Normalize.ImageNet.Mean, Std = Normalize.ImageNet.Std };

        var cropped = Assert.IsType<Compose>(described.Transform(224, 200)).Transforms;
        var plain = Assert.IsType<Compose>(Preprocessing.None.Transform(28, 28)).Transforms;

        Assert.Equal((256L, Interpolation.Bicubic), (Assert.IsType<Resize>(cropped[0]).ShorterSide, ((Resize)cropped[0]).Interpolation));
        Assert.Equal((224L, 200L), (Assert.IsType<CenterCrop>(cropped[1]).Height, ((CenterCrop)cropped[1]).Width));
        Assert.IsType<ToTensor>(cropped[2]);
        Assert.Equal(Normalize.ImageNet.Std, Assert.IsType<Normalize>(cropped[3]).Std);
        Assert.Equal((28L, 28L), (Assert.IsType<Resize>(plain[0]).Height, ((Resize)plain[0]).Width));
        Assert.Equal(2, plain.Count);
    }
}
