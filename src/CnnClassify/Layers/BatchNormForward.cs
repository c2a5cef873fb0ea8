using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>The forward pass of <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/>, as PyTorch's, with the batch count's increment held safely.</summary>
internal static class BatchNormForward
{
    public static Tensor Run(BatchNorm norm, Tensor input)
    {
        var factor = norm.momentum ?? 0.0;
        if (norm.training && norm.track_running_stats && norm.num_batches_tracked is { } tracked)
        {
            tracked.add_(HeldScalars.One, HeldScalars.One);
            if (norm.momentum is null)
            {
                factor = 1.0 / tracked.item<long>();
            }
        }

        var useBatchStatistics = norm.training || (norm.running_mean is null && norm.running_var is null);
        var useRunning = !norm.training || norm.track_running_stats;
        return nn.functional.batch_norm(input, useRunning ? norm.running_mean : null, useRunning ? norm.running_var : null, norm.weight, norm.bias, useBatchStatistics, factor, norm.eps);
    }
}
