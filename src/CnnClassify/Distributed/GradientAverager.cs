using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Distributed;

/// <summary>
/// Replaces each gradient by its mean over the processes of an <see cref="MpiWorld"/>: gradients
/// are packed in order into float32 buckets of at most 25 MB, each bucket is all-reduced in place
/// and divided by the world size, and the results are copied back. The bucket buffers live as
/// long as the averager, so a step allocates nothing.
/// </summary>
internal sealed class GradientAverager(MpiWorld world)
{
    /// <summary>The largest bucket, as PyTorch DDP's default <c>bucket_cap_mb</c>.</summary>
    public const long BucketBytes = 25L << 20;

    private readonly List<Tensor> _buffers = [];

    /// <summary>Averages the gradients of <paramref name="parameters"/> that have one; every process must pass the same parameters in the same order.</summary>
    public void Average(IEnumerable<Parameter> parameters)
    {
        using var noGrad = torch.no_grad();
        using var size = world.Size.ToScalar();
        var bucket = new List<Tensor>();
        long bytes = 0;
        var index = 0;
        foreach (var parameter in parameters)
        {
            if (parameter.grad is not { } grad)
            {
                continue;
            }

            var length = grad.numel() * sizeof(float);
            if (bucket.Count > 0 && bytes + length > BucketBytes)
            {
                Reduce(bucket, index++, size);
                (bucket, bytes) = ([], 0);
            }

            bucket.Add(grad);
            bytes += length;
        }

        if (bucket.Count > 0)
        {
            Reduce(bucket, index, size);
        }
    }

    private void Reduce(List<Tensor> grads, int index, Scalar size)
    {
        using var scope = torch.NewDisposeScope();
        var elements = grads.Sum(g => g.numel());
        if (index == _buffers.Count)
        {
            _buffers.Add(torch.empty(elements).DetachFromDisposeScope());
        }
        else if (_buffers[index].numel() < elements)
        {
            _buffers[index].Dispose();
            _buffers[index] = torch.empty(elements).DetachFromDisposeScope();
        }

        var flat = _buffers[index].narrow(0, 0, elements);
        long offset = 0;
        foreach (var grad in grads)
        {
            flat.narrow(0, offset, grad.numel()).view_as(grad).copy_(grad);
            offset += grad.numel();
        }

        world.AllReduceSum(flat);
        flat.div_(size);
        offset = 0;
        foreach (var grad in grads)
        {
            grad.copy_(flat.narrow(0, offset, grad.numel()).view_as(grad));
            offset += grad.numel();
        }
    }
}
