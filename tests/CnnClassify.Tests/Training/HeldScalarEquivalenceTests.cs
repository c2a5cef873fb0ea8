using CnnClassify.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Training;

/// <summary>The library's scalar-holding replacements compute exactly what TorchSharp's own modules and optimizers compute.</summary>
[Collection(SerialTests.Name)]
public sealed class HeldScalarEquivalenceTests
{
    [Fact]
    public void BatchNorm2d_matches_TorchSharps_in_training_and_evaluation()
    {
        using var ours = new CnnClassify.Layers.BatchNorm2d(3, eps: 1e-3, momentum: 0.2);
        using var theirs = nn.BatchNorm2d(3, eps: 1e-3, momentum: 0.2);
        torch.manual_seed(1);
        for (var step = 0; step < 3; step++)
        {
            using var input = torch.randn(4, 3, 5, 5);
            using var a = ours.call(input);
            using var b = theirs.call(input);
            TensorAssert.Equal(b, a, 0);
        }

        Assert.Equal(theirs.state_dict().Keys, ours.state_dict().Keys);
        foreach (var (key, tensor) in theirs.state_dict())
        {
            Assert.True(tensor.equal(ours.state_dict()[key]).all().item<bool>(), key);
        }

        ours.eval();
        theirs.eval();
        using var test = torch.randn(2, 3, 5, 5);
        TensorAssert.Equal(theirs.call(test), ours.call(test), 0);
        Assert.Equal(3, ours.num_batches_tracked!.item<long>());
    }

    [Fact]
    public void BatchNorm1d_matches_TorchSharps_and_names_a_wrong_input()
    {
        using var ours = new CnnClassify.Layers.BatchNorm1d(6);
        using var theirs = nn.BatchNorm1d(6);
        using var input = torch.randn(8, 6);

        TensorAssert.Equal(theirs.call(input), ours.call(input), 0);
        var error = Assert.Throws<ArgumentException>(() => ours.call(torch.randn(2, 6, 3, 3)));
        Assert.Contains("BatchNorm1d expects 2-D or 3-D input", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("sgd-nesterov")]
    [InlineData("rmsprop")]
    [InlineData("rmsprop-momentum")]
    public void The_optimizers_steps_match_TorchSharps_in_float64(string kind)
    {
        torch.manual_seed(5);
        using var start = torch.randn(4, 3, dtype: ScalarType.Float64);
        var (ours, oursParameter) = Make(kind, start, held: true);
        var (theirs, theirsParameter) = Make(kind, start, held: false);
        for (var step = 0; step < 5; step++)
        {
            using var target = torch.randn(4, 3, dtype: ScalarType.Float64);
            foreach (var (optimizer, parameter) in new[] { (ours, oursParameter), (theirs, theirsParameter) })
            {
                optimizer.zero_grad();
                using var loss = parameter.sub(target).pow(2).sum();
                loss.backward();
                optimizer.step();
            }

            Assert.True(theirsParameter.sub(oursParameter).abs().max().item<double>() <= 1e-12, $"step {step}");
        }

        Assert.StartsWith("HeldScalar", ours.GetType().Name, StringComparison.Ordinal);
    }

    private static (optim.Optimizer Optimizer, Parameter Parameter) Make(string kind, Tensor start, bool held)
    {
        var parameter = new Parameter(start.clone());
        var groups = new[] { new CnnClassify.Models.ParameterGroup("all", [parameter], 0.05) };
        optim.Optimizer optimizer = (kind, held) switch
        {
            ("sgd", true) => OptimizerSpec.Sgd(0.05, momentum: 0.9, weightDecay: 0.01).Create(groups),
            ("sgd", false) => optim.SGD([parameter], 0.05, momentum: 0.9, weight_decay: 0.01),
            ("sgd-nesterov", true) => OptimizerSpec.Sgd(0.05, momentum: 0.9, nesterov: true).Create(groups),
            ("sgd-nesterov", false) => optim.SGD([parameter], 0.05, momentum: 0.9, nesterov: true),
            ("rmsprop", true) => OptimizerSpec.RmsProp(0.05, weightDecay: 0.01).Create(groups),
            ("rmsprop", false) => optim.RMSProp([parameter], 0.05, weight_decay: 0.01),
            ("rmsprop-momentum", true) => OptimizerSpec.RmsProp(0.05, momentum: 0.5).Create(groups),
            _ => optim.RMSProp([parameter], 0.05, momentum: 0.5),
        };
        return (optimizer, parameter);
    }
}
