using CnnClassify.Layers;
using CnnClassify.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Building;

public sealed class CnnArchitectureTests
{
    private static CnnModel EveryLayer() => CnnBuilder.Input(3, 16, 16)
        .Conv(8, 3, padding: 1, bias: false).BatchNorm(eps: 1e-3, momentum: 0.2).LeakyReLU(0.1)
        .ConvBlock(8, 3, activation: Activation.ELU(0.5)).Named("stem")
        .LocalResponseNorm(3).MaxPool(2, padding: 1, ceilMode: true)
        .Residual(12, stride: 2).Bottleneck(4, groups: 2, baseWidth: 32)
        .Inception(new InceptionChannels(4, 2, 4, 2, 4, 4)).AvgPool(2).GELU()
        .AdaptiveAvgPool(2, 2).AdaptiveMaxPool(1, 1).ReLU6().SiLU().Tanh().Sigmoid()
        .Flatten().Dense(6, bias: false).BatchNorm().ReLU().Dropout(0.25).Dense(3)
        .Build();

    [Fact]
    public void Every_builder_layer_is_rebuilt_from_its_description()
    {
        torch.manual_seed(3);
        using var model = EveryLayer();
        using var input = torch.randn(2, 3, 16, 16);
        model.eval();
        using var expected = model.call(input);

        using var rebuilt = CnnBuilder.FromArchitecture(model.Architecture).Build();
        rebuilt.load_state_dict(model.state_dict());
        rebuilt.eval();
        using var actual = rebuilt.call(input);

        Assert.Equal(model.Layers, rebuilt.Layers);
        Assert.Equal(model.state_dict().Keys.Order(StringComparer.Ordinal), rebuilt.state_dict().Keys.Order(StringComparer.Ordinal));
        TensorAssert.Equal(expected, actual, 0);
    }

    [Fact]
    public void A_layer_added_by_code_is_named_when_the_architecture_is_rebuilt()
    {
        using var model = CnnBuilder.Input(1, 4, 4).Add("mine", _ => nn.Identity(), s => s).Flatten().Dense(2).Build();

        var error = Assert.Throws<ArgumentException>(() => CnnBuilder.FromArchitecture(model.Architecture));

        Assert.Contains("Layer 0 'mine' was added by code", error.Message, StringComparison.Ordinal);
        Assert.False(model.Architecture.Layers[0].Layer.IsRebuildable);
    }

    [Fact]
    public void A_builder_model_is_a_classification_model_with_stages_and_a_head()
    {
        using var model = CnnBuilder.Input(1, 8, 8)
            .Conv(4, 3, padding: 1).BatchNorm().ReLU().MaxPool(2)
            .Conv(8, 3, padding: 1).ReLU().MaxPool(2)
            .Flatten().Dense(16).ReLU().Dense(3)
            .Build();

        Assert.Equal("fc2", model.HeadName);
        Assert.Equal(["stage1", "stage2", "stage3"], model.Stages.Select(s => s.Name));
        Assert.Equal(["conv1", "bn1", "relu1", "pool1"], model.Stages[0].ModulePaths);
        Assert.Equal(["fc1", "relu3"], model.Stages[2].ModulePaths);
        model.FreezeBackbone();
        Assert.Equal(["fc2.weight", "fc2.bias"], model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name));
        model.UnfreezeLastStages(1);
        Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name));
    }

    [Fact]
    public void Replacing_a_builder_models_head_changes_its_description_too()
    {
        using var model = CnnBuilder.Input(1, 4, 4).Flatten().Dense(8).ReLU().Dense(3).Build();

        model.ReplaceHead(5);
        using var rebuilt = CnnBuilder.FromArchitecture(model.Architecture).Build();

        Assert.Equal(5, model.NumClasses);
        Assert.Equal(5, ((Linear)rebuilt[3]).out_features);
        Assert.Equal(SampleShape.Vector(5), rebuilt.OutputShape);
        Assert.Equal(5, model.Configuration.NumClasses);
    }
}
