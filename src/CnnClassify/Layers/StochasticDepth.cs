using CnnClassify.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// Stochastic depth in "row" mode (Huang et al., 2016): while training, zeroes a residual branch
/// for each sample with probability <see cref="Probability"/> and scales the survivors by
/// <c>1 / (1 - p)</c>; in evaluation it is the identity. It has no parameters.
/// </summary>
public sealed class StochasticDepth : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    /// <summary>Creates the layer.</summary>
    /// <param name="probability">Drop probability per sample, in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="probability"/> is outside [0, 1).</exception>
    public StochasticDepth(double probability)
        : base(nameof(StochasticDepth))
    {
        LayerArguments.Probability(probability, nameof(probability));
        Probability = probability;
    }

    /// <summary>Drop probability per sample.</summary>
    public double Probability { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (!training || Probability == 0)
        {
            return input.alias();
        }

        using var scope = torch.NewDisposeScope();
        var shape = new long[input.dim()];
        Array.Fill(shape, 1L);
        shape[0] = input.shape[0];
        using var survival = (1 - Probability).ToScalar();
        var keep = torch.empty(shape, input.dtype, input.device).bernoulli_(1 - Probability).div_(survival);
        return input.mul(keep).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input) => input.Name;
}
