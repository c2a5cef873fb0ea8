using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// Batch normalisation over the channels of images [N, C, H, W], as PyTorch's <c>BatchNorm2d</c>:
/// the same parameters, buffers and state-dict keys (<c>weight</c>, <c>bias</c>,
/// <c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>), and the same arithmetic.
/// Every block and model in this library uses it rather than TorchSharp's, whose forward pass
/// counts batches with a Scalar that the finalizer can free during the native call.
/// </summary>
public sealed class BatchNorm2d : HeldBatchNorm
{
    /// <summary>Creates the layer, with weight 1, bias 0, running mean 0 and running variance 1.</summary>
    /// <param name="features">Channels, at least 1.</param>
    /// <param name="eps">Added to the variance for stability, above 0.</param>
    /// <param name="momentum">Weight of the newest batch in the running statistics, in [0, 1].</param>
    public BatchNorm2d(long features, double eps = 1e-5, double momentum = 0.1)
        : base(features, eps, momentum, nameof(BatchNorm2d))
    {
    }

    /// <inheritdoc />
    protected override void ValidateInputDimensions(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.ndim != 4)
        {
            throw new ArgumentException($"BatchNorm2d expects 4-D input [N, C, H, W], got {input.ndim}-D [{string.Join(", ", input.shape)}].", nameof(input));
        }
    }
}
