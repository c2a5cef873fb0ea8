using CnnClassify.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Models;

public class EnsembleTests
{
    // Two "models" with fixed outputs: a linear layer with zero weights and a chosen bias.
    private static nn.Module<Tensor, Tensor> Constant(params float[] logits)
    {
        var linear = nn.Linear(2, logits.Length);
        using (torch.no_grad())
        {
            linear.weight.zero_();
            linear.bias!.copy_(torch.tensor(logits));
        }

        return linear;
    }

    [Fact]
    public void Averages_logits()
    {
        using var ensemble = new Ensemble([Constant(1, 2, 3), Constant(3, 0, -1)], EnsembleAveraging.Logits);

        using var output = ensemble.call(torch.zeros(1, 2));

        TensorAssert.Close([2f, 1f, 1f], output);
    }

    [Fact]
    public void Averages_probabilities()
    {
        using var ensemble = new Ensemble([Constant(0, 0), Constant((float)Math.Log(3), 0)]);

        using var output = ensemble.call(torch.zeros(1, 2));

        // softmax(0, 0) = (1/2, 1/2); softmax(ln 3, 0) = (3/4, 1/4); mean = (5/8, 3/8).
        TensorAssert.Close([0.625f, 0.375f], output);
    }

    [Fact]
    public void Weights_are_normalised()
    {
        using var ensemble = new Ensemble([Constant(4, 0), Constant(0, 4)], EnsembleAveraging.Logits, weights: [3, 1]);

        using var output = ensemble.call(torch.zeros(1, 2));

        Assert.Equal([0.75, 0.25], ensemble.Weights);
        TensorAssert.Close([3f, 1f], output);
    }

    [Fact]
    public void Bad_members_or_weights_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new Ensemble([]));
        var error = Assert.Throws<ArgumentException>(() => new Ensemble([Constant(1)], weights: [1, 2]));
        Assert.Equal("weights", error.ParamName);
    }
}
