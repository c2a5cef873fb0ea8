using CnnClassify.Layers;
using CnnClassify.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Building;

public class ModelSummaryTests
{
    /// <summary>A small ResNet: conv stem, two basic blocks (the second strided), global pool, classifier.</summary>
    private static CnnBuilder SmallResNet() =>
        CnnBuilder.Input(3, 32, 32)
            .ConvBlock(16, 3)
            .Residual(16)
            .Residual(32, stride: 2)
            .GlobalAvgPool()
            .Dense(10);

    // Parameters, by hand:
    //   convblock1: conv 3*16*9 (no bias) + BN 2*16                          =    464
    //   res1:       2 * conv 16*16*9 + 2 * BN 2*16                           =  4,672
    //   res2:       conv 16*32*9 + conv 32*32*9 + 1x1 16*32 + 3 * BN 2*32    = 14,528
    //   fc1:        32*10 + 10                                               =    330
    private const long ExpectedParameters = 464 + 4_672 + 14_528 + 330;

    // MACs per image, by hand (output elements x multiplies per output element):
    //   convblock1: 16*32*32 * (3*9)                                          =   442,368
    //   res1:       2 * 16*32*32 * (16*9)                                    = 4,718,592
    //   res2:       32*16*16 * (16*9) + 32*16*16 * (32*9) + 32*16*16 * 16   = 3,670,016
    //   fc1:        10 * 32                                                  =       320
    private const long ExpectedMacs = 442_368 + 4_718_592 + 3_670_016 + 320;

    [Fact]
    public void ResNet_style_summary_has_the_hand_computed_totals_and_macs()
    {
        using var model = SmallResNet().Build();

        var summary = model.Summary();

        Assert.Equal(19_994, ExpectedParameters);
        Assert.Equal(ExpectedParameters, summary.TotalParameters);
        Assert.Equal(ExpectedParameters, summary.TrainableParameters);
        Assert.Equal(0, summary.NonTrainableParameters);
        Assert.Equal(8_831_296, ExpectedMacs);
        Assert.Equal(ExpectedMacs, summary.MultiplyAccumulates);
        Assert.Equal(ExpectedParameters * 4, summary.ParameterBytes);
        Assert.Equal(SampleShape.Vector(10), summary.OutputShape);
    }

    [Fact]
    public void ResNet_style_summary_has_a_row_per_layer_with_shapes_params_and_macs()
    {
        using var model = SmallResNet().Build();

        var rows = model.Summary().Layers;

        Assert.Equal(
            [
                ("convblock1", "ConvBlock", "16x32x32", 464L, 442_368L),
                ("res1", "BasicResidualBlock", "16x32x32", 4_672L, 4_718_592L),
                ("res2", "BasicResidualBlock", "32x16x16", 14_528L, 3_670_016L),
                ("pool1", "GlobalAveragePool2d", "32", 0L, 0L),
                ("fc1", "Linear", "10", 330L, 320L),
            ],
            rows.Select(row => (row.Name, row.Type, row.OutputShape!.ToString(), row.Parameters, row.MultiplyAccumulates)));
    }

    [Fact]
    public void Summary_text_has_the_table_and_the_totals()
    {
        using var model = SmallResNet().Build();

        var lines = model.Summary().ToString().Split('\n');

        Assert.Equal(["Layer", "Type", "Output", "shape", "Params", "MACs"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["res2", "BasicResidualBlock", "32x16x16", "14,528", "3,670,016"], lines[4].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("Total params: 19,994", lines);
        Assert.Contains("Trainable params: 19,994", lines);
        Assert.Contains("Non-trainable params: 0", lines);
        Assert.Contains("Params size (MB): 0.08", lines); // 79,976 bytes
        Assert.Contains("MACs per sample: 8,831,296 (8.83 M)", lines);
    }

    [Fact]
    public void Deeper_summary_shows_nested_modules_with_their_paths()
    {
        using var model = SmallResNet().Build();

        var rows = model.Summary(depth: 3).Layers;

        var projection = rows.Single(row => row.Name == "res2.downsample.0");
        Assert.Equal((3, "Conv2d", "32x16x16", 512L, 32L * 16 * 16 * 16), (projection.Depth, projection.Type, projection.OutputShape!.ToString(), projection.Parameters, projection.MultiplyAccumulates));
        Assert.Contains(rows, row => row.Name == "res2.downsample" && row.Depth == 2 && row.Parameters == 512 + 64);
        Assert.Equal(ExpectedMacs, rows.Where(row => row.Depth == 1).Sum(row => row.MultiplyAccumulates));
    }

    [Fact]
    public void Frozen_parameters_count_as_non_trainable()
    {
        using var model = SmallResNet().Build();
        foreach (var (name, parameter) in model.named_parameters().Where(p => p.name.StartsWith("fc1.", StringComparison.Ordinal)))
        {
            parameter.requires_grad = false;
        }

        var summary = model.Summary();

        Assert.Equal(330, summary.NonTrainableParameters);
        Assert.Equal(ExpectedParameters - 330, summary.TrainableParameters);
    }

    [Fact]
    public void Works_for_any_torchsharp_module_given_an_input_shape()
    {
        using var model = nn.Sequential(
            nn.Conv2d(1, 4, 3),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(4 * 6 * 6, 5));

        var summary = model.Summary(SampleShape.Image(1, 8, 8));

        Assert.Equal(["0", "1", "2", "3"], summary.Layers.Select(row => row.Name));
        Assert.Equal((4 * 9) + 4 + (144 * 5) + 5, summary.TotalParameters);
        Assert.Equal((4 * 6 * 6 * 9) + (5 * 144), summary.MultiplyAccumulates);
        Assert.Equal("4x6x6", summary.Layers[0].OutputShape!.ToString());
    }

    [Fact]
    public void A_module_without_children_is_one_row()
    {
        using var linear = nn.Linear(3, 2);

        var summary = linear.Summary(SampleShape.Vector(3));

        var row = Assert.Single(summary.Layers);
        Assert.Equal(("Linear", 8L, 6L), (row.Type, row.Parameters, row.MultiplyAccumulates));
    }

    [Fact]
    public void Summary_restores_training_mode_and_leaves_no_hooks()
    {
        using var model = SmallResNet().Build();
        model.train();
        var calls = 0;
        model.register_forward_hook((_, _, _) => { calls++; return null!; });

        model.Summary();
        model.Summary();
        using var output = model.call(torch.randn(2, 3, 32, 32));

        Assert.True(model.training);
        Assert.Equal(3, calls); // two summaries and one forward: no hook of the summary's is left behind
    }

    [Fact]
    public void A_shape_the_model_cannot_take_is_reported_with_the_shape()
    {
        using var model = nn.Sequential(nn.Flatten(), nn.Linear(10, 2));

        var error = Assert.Throws<InvalidOperationException>(() => model.Summary(SampleShape.Image(1, 4, 4)));

        Assert.StartsWith("Cannot summarise Sequential: it fails on an input of shape 1x1x4x4: ", error.Message);
    }
}
