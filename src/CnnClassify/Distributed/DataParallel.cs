using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Distributed;

/// <summary>
/// What data-parallel training does across the processes of an <see cref="MpiWorld"/>, as Horovod
/// and PyTorch's DDP do: rank 0's weights and buffers broadcast at the start, gradients all-reduced
/// in buckets of at most 25 MB and averaged before each optimizer step, BatchNorm running
/// statistics averaged before validation, and epoch sums added up.
/// </summary>
internal static class DataParallel
{
    private const long BucketBytes = 25L << 20;

    /// <summary>Copies rank 0's parameters and buffers into every process's model.</summary>
    public static void BroadcastState(nn.Module model, MpiWorld world)
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, tensor) in model.state_dict())
        {
            Exchange(tensor, t => world.Broadcast(t));
        }
    }

    /// <summary>Replaces each gradient by its mean over the processes, bucket by bucket.</summary>
    public static void AverageGradients(IEnumerable<Parameter> parameters, MpiWorld world)
    {
        using var noGrad = torch.no_grad();
        using var size = world.Size.ToScalar();
        var bucket = new List<Tensor>();
        long bytes = 0;
        foreach (var parameter in parameters)
        {
            if (parameter.grad is not { } grad)
            {
                continue;
            }

            var length = grad.numel() * grad.element_size();
            if (bucket.Count > 0 && bytes + length > BucketBytes)
            {
                Reduce(bucket, world, size);
                (bucket, bytes) = ([], 0);
            }

            bucket.Add(grad);
            bytes += length;
        }

        if (bucket.Count > 0)
        {
            Reduce(bucket, world, size);
        }
    }

    /// <summary>Replaces every BatchNorm's running mean and variance by their mean over the processes.</summary>
    public static void AverageRunningStatistics(nn.Module model, MpiWorld world)
    {
        using var noGrad = torch.no_grad();
        using var size = world.Size.ToScalar();
        foreach (var (_, module, _) in ModuleTree.Walk(model))
        {
            if (module is BatchNorm { running_mean: { } mean, running_var: { } variance })
            {
                foreach (var statistic in new[] { mean, variance })
                {
                    Exchange(statistic, t =>
                    {
                        world.AllReduceSum(t);
                        t.div_(size);
                    });
                }
            }
        }
    }

    /// <summary>The sums of <paramref name="values"/> over the processes.</summary>
    public static double[] Sum(MpiWorld world, params double[] values)
    {
        using var tensor = torch.tensor(values, dtype: ScalarType.Float64);
        world.AllReduceSum(tensor);
        return tensor.data<double>().ToArray();
    }

    private static void Reduce(List<Tensor> grads, MpiWorld world, Scalar size)
    {
        using var scope = torch.NewDisposeScope();
        var flat = torch.cat(grads.Select(g => g.flatten().to(ScalarType.Float32)).ToList()).cpu().contiguous();
        world.AllReduceSum(flat);
        flat.div_(size);
        long offset = 0;
        foreach (var grad in grads)
        {
            grad.copy_(flat.narrow(0, offset, grad.numel()).view_as(grad));
            offset += grad.numel();
        }
    }

    /// <summary>Runs <paramref name="exchange"/> on a contiguous CPU copy of <paramref name="tensor"/> when it is not one itself, and copies the result back.</summary>
    private static void Exchange(Tensor tensor, Action<Tensor> exchange)
    {
        if (tensor.device_type == DeviceType.CPU && tensor.is_contiguous() && tensor.dtype is ScalarType.Float32 or ScalarType.Float64 or ScalarType.Int64)
        {
            exchange(tensor);
            return;
        }

        using var copy = tensor.to(tensor.is_floating_point() ? ScalarType.Float64 : ScalarType.Int64).cpu().contiguous();
        exchange(copy);
        tensor.copy_(copy);
    }
}
