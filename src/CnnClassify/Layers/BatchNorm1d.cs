using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// Batch normalisation over the features of vectors [N, C] (or sequences [N, C, L]), as PyTorch's
/// <c>BatchNorm1d</c>, with its state-dict keys; see <see cref="BatchNorm2d"/> for why the library has its own.
/// </summary>
public sealed class BatchNorm1d : HeldBatchNorm
{
    /// <summary>Creates the layer, with weight 1, bias 0, running mean 0 and running variance 1.</summary>
    /// <param name="features">Features, at least 1.</param>
    /// <param name="eps">Added to the variance for stability, above 0.</param>
    /// <param name="momentum">Weight of the newest batch in the running statistics, in [0, 1].</param>
    public BatchNorm1d(long features, double eps = 1e-5, double momentum = 0.1)
        : base(features, eps, momentum, nameof(BatchNorm1d))
    {
    }

    /// <inheritdoc />
    protected override void ValidateInputDimensions(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.ndim is not (2 or 3))
        {
            throw new ArgumentException($"BatchNorm1d expects 2-D or 3-D input [N, C(, L)], got {input.ndim}-D [{string.Join(", ", input.shape)}].", nameof(input));
        }
    }
}
