using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// The forward pass of <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/>: PyTorch's batch
/// normalisation, with the batch count's increment given Scalars that live as long as the process.
/// </summary>
public abstract class HeldBatchNorm : BatchNorm
{
    private protected HeldBatchNorm(long features, double eps, double momentum, string name)
        : base(features, eps, momentum, affine: true, track_running_stats: true, device: null, dtype: null, name: name)
    {
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        ValidateInputDimensions(input);
        var factor = momentum ?? 0.0;
        if (training && track_running_stats && num_batches_tracked is { } tracked)
        {
            tracked.add_(HeldScalars.One, HeldScalars.One);
            if (momentum is null)
            {
                factor = 1.0 / tracked.item<long>();
            }
        }

        var useBatchStatistics = training || (running_mean is null && running_var is null);
        var useRunning = !training || track_running_stats;
        return nn.functional.batch_norm(input, useRunning ? running_mean : null, useRunning ? running_var : null, weight, bias, useBatchStatistics, factor, eps);
    }
}
