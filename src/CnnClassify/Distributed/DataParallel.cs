using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Distributed;

/// <summary>
/// What data-parallel training does across the processes of an <see cref="MpiWorld"/>, as Horovod
/// and PyTorch's DDP do: rank 0's training state broadcast at the start, BatchNorm running
/// statistics averaged before validation, and epoch sums added up.
/// </summary>
internal static class DataParallel
{
    /// <summary>
    /// Gives every process rank 0's whole training state, as a checkpoint holds it: weights and
    /// buffers, optimizer state, epoch and step, history, schedule, loss scale, callback state and
    /// random-number state. A fresh run starts from one set of weights; a resumed run continues
    /// where rank 0's checkpoint left off, even on hosts that cannot read that file.
    /// </summary>
    public static void BroadcastTrainer(Training.Trainer trainer, MpiWorld world)
    {
        // From memory: rank 0 writes the checkpoint to a buffer, the others read it from theirs.
        byte[] state = [];
        if (world.IsMain)
        {
            using var buffer = new MemoryStream();
            Training.Checkpoint.Save(trainer, buffer);
            state = buffer.ToArray();
        }

        state = BroadcastBytes(state, world);
        if (!world.IsMain)
        {
            using var buffer = new MemoryStream(state, writable: false);
            Training.Checkpoint.Load(trainer, buffer, $"rank 0's training state ({state.Length:N0} bytes)");
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

    /// <summary>Whether <paramref name="flag"/> is set on any process; every process gets the same answer.</summary>
    public static bool Any(MpiWorld world, bool flag) => Sum(world, flag ? 1 : 0)[0] > 0;

    /// <summary>Rank 0's <paramref name="bytes"/> on every process, sent in pieces of at most 1 GiB.</summary>
    private static byte[] BroadcastBytes(byte[] bytes, MpiWorld world)
    {
        using var length = torch.tensor(new[] { (long)bytes.Length });
        world.Broadcast(length);
        var count = length.item<long>();
        using var buffer = world.IsMain ? torch.tensor(bytes) : torch.empty(count, ScalarType.Byte);
        const long Piece = 1L << 30;
        for (long offset = 0; offset < count; offset += Piece)
        {
            using var piece = buffer.narrow(0, offset, Math.Min(Piece, count - offset));
            world.Broadcast(piece);
        }

        return world.IsMain ? bytes : buffer.bytes.ToArray();
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
