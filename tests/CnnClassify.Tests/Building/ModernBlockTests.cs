using System.Text.Json.Nodes;
using CnnClassify.Layers;
using CnnClassify.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Building;

/// <summary>The builder writes the newer families' blocks, and their records rebuild them.</summary>
public sealed class ModernBlockTests
{
    /// <summary>Every block the newer families added, in one small model.</summary>
    public static CnnModel EveryNewerBlock() => CnnBuilder.Input(3, 32, 32)
        .Conv(16, 3, stride: 2, padding: 1).LayerNorm2d().ConvNeXt(layerScale: 0.5, stochasticDepth: 0.1)
        .MobileNetV3Block(24, 5, 48, squeezeExcitation: true, hardSwish: true, stride: 2).MobileNetV3Block(24, 3, 24, squeezeExcitation: false, hardSwish: false)
        .MBConv(24, 3, expandRatio: 4, stochasticDepth: 0.2).FusedMBConv(32, stride: 2).FusedMBConv(32, expandRatio: 1)
        .ShuffleUnit(48, stride: 2).ShuffleUnit(48).ChannelShuffle(3).DepthwiseConv(3).BatchNorm().Hardswish()
        .SqueezeExcitation(12, Activation.SiLU, Activation.Hardsigmoid).Fire(8, 16, 16).Hardsigmoid()
        .GlobalAvgPool().Dense(5)
        .Build();

    [Fact]
    public void A_small_ConvNeXt_written_by_hand_has_the_blocks_parameters_and_keeps_torchvisions_key_names()
    {
        // Stem, two stages and the head of ConvNeXt-Tiny's layout at widths 16 and 32.
        using var model = CnnBuilder.Input(3, 32, 32)
            .Conv(16, 4, stride: 4).LayerNorm2d().ConvNeXt(stochasticDepth: 0.05).ConvNeXt(stochasticDepth: 0.1)
            .LayerNorm2d().Conv(32, 2, stride: 2).ConvNeXt(stochasticDepth: 0.15)
            .AdaptiveAvgPool(1, 1).LayerNorm2d().Flatten().Dense(4)
            .Build();
        using var logits = model.call(torch.randn(2, 3, 32, 32));

        // A block at width C: depthwise 7x7 with bias (50C), LayerNorm (2C), 4C^2 + 4C and 4C^2 + C, layer scale (C).
        static long Block(long c) => (8 * c * c) + (58 * c);
        var expected = (3 * 16 * 16 + 16) + (2 * 16) + (2 * Block(16)) + (2 * 16) + (16 * 32 * 4 + 32) + Block(32) + (2 * 32) + (32 * 4 + 4);
        Assert.Equal(expected, TensorAssert.ParameterCount(model));
        Assert.Equal([2L, 4], logits.shape);
        Assert.Contains("convnext1.block.0.weight", model.state_dict().Keys);
        Assert.Contains("convnext1.layer_scale", model.state_dict().Keys);
        Assert.Equal([16L, 1, 1], model.state_dict()["convnext1.layer_scale"].shape);
        Assert.Equal(1e-6, model.state_dict()["convnext2.layer_scale"].max().item<float>(), 1e-9);
    }

    [Fact]
    public void A_small_MobileNetV3_written_by_hand_runs_and_its_summary_names_the_blocks()
    {
        using var model = CnnBuilder.Input(3, 64, 64)
            .ConvBlock(16, 3, stride: 2, activation: Activation.Hardswish)
            .MobileNetV3Block(16, 3, 16, squeezeExcitation: true, hardSwish: false, stride: 2)
            .MobileNetV3Block(24, 3, 72, squeezeExcitation: false, hardSwish: false, stride: 2)
            .MobileNetV3Block(24, 3, 88, squeezeExcitation: false, hardSwish: false)
            .MobileNetV3Block(40, 5, 96, stride: 2)
            .ConvBlock(240, 1, activation: Activation.Hardswish).GlobalAvgPool().Dense(128).Hardswish().Dropout(0.2).Dense(3)
            .Build();
        model.eval();
        using var noGrad = torch.no_grad();
        using var logits = model.call(torch.randn(2, 3, 64, 64));

        Assert.Equal([2L, 3], logits.shape);
        Assert.Equal(["mbv31", "mbv32", "mbv33", "mbv34"], model.Layers.Where(l => l.Name.StartsWith("mbv3", StringComparison.Ordinal)).Select(l => l.Name));
        Assert.Equal(SampleShape.Image(40, 4, 4), model.Layers.Single(l => l.Name == "mbv34").OutputShape);
        // The first block's squeeze width is a quarter of 16 rounded up to 8, as in MobileNetV3-Small.
        Assert.Equal([8L, 16, 1, 1], model.state_dict()["mbv31.block.1.fc1.weight"].shape);
        Assert.Contains("Hardswish", model.Summary().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_newer_block_is_rebuilt_from_its_record_with_the_same_logits()
    {
        torch.manual_seed(21);
        using var model = EveryNewerBlock();
        model.eval();
        using var input = torch.randn(2, 3, 32, 32);
        using var noGrad = torch.no_grad();
        using var expected = model.call(input);

        var json = model.Configuration.ToJson();
        var read = ModelConfiguration.FromJson(JsonNode.Parse(json.ToJsonString())!, "model.json");
        using var rebuilt = CnnBuilder.FromArchitecture(read.Layers!).Build();
        rebuilt.load_state_dict(model.state_dict());
        rebuilt.eval();
        using var actual = rebuilt.call(input);

        Assert.Equal(model.Layers, rebuilt.Layers);
        TensorAssert.Equal(expected, actual, 0);
        var record = json["layers"]!["layers"]!.AsArray();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"kind": "ConvNeXt", "layer_scale": 0.5, "stochastic_depth": 0.1}"""), record[2]!["layer"]), record[2]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"kind": "SqueezeExcitation", "squeeze_channels": 12, "activation": "SiLU", "gate": "Hardsigmoid"}"""), record.Single(l => l!["name"]!.GetValue<string>() == "se1")!["layer"]), record.ToJsonString());
    }

    [Fact]
    public void Blocks_that_do_not_fit_the_running_shape_say_why()
    {
        var shuffle = Assert.Throws<LayerShapeException>(() => CnnBuilder.Input(10, 8, 8).ChannelShuffle(3));
        var unit = Assert.Throws<LayerShapeException>(() => CnnBuilder.Input(10, 8, 8).ShuffleUnit(12));
        var flat = Assert.Throws<LayerShapeException>(() => CnnBuilder.Input(4, 8, 8).Flatten().ConvNeXt());

        Assert.Contains("10 channels", shuffle.Message, StringComparison.Ordinal);
        Assert.Contains("equal to the input's 10", unit.Message, StringComparison.Ordinal);
        Assert.Contains("before Flatten", flat.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => CnnBuilder.Input(4, 8, 8).SqueezeExcitation(2, Activation.Custom("mine", () => nn.Identity())));
    }
}
