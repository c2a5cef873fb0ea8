using CnnClassify.Runtime;
using CnnClassify.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Distributed;

/// <summary>
/// Data-parallel training over the processes of an <see cref="MpiWorld"/>: rank 0's state
/// broadcast at the start, gradients averaged before each step, non-finite losses agreed on,
/// BatchNorm statistics and epoch sums combined before validation, and every rank aborted when one fails.
/// </summary>
internal sealed partial class MpiDataParallel(MpiWorld world) : TrainingStrategy
{
    private GradientAverager? _gradients;

    public override bool IsMainProcess => world.IsMain;

    public override int Rank => world.Rank;

    public override int ProcessCount => world.Size;

    public override string Description => $"Open MPI data-parallel, {world.Size} processes";

    public override History Run(Trainer trainer, Data.DataLoader train, Action prepare, Func<History> fit)
    {
        try
        {
            prepare();
            if (train.Options.ShardCount != world.Size || train.Options.ShardIndex != world.Rank)
            {
                throw new ArgumentException($"Data-parallel training over {world.Size} processes needs each training loader to take its own shard: ShardCount = {world.Size}, ShardIndex = this rank ({world.Rank}); it has {train.Options.ShardCount} and {train.Options.ShardIndex}.", nameof(train));
            }

            DataParallel.BroadcastTrainer(trainer, world);
            return fit();
        }
        catch (Exception ex)
        {
            // One rank's failure or cancellation must end every rank, or the others wait in the next collective forever.
            LogRankFailure(trainer.Logger, world.Rank, ex.GetType().Name, ex.Message);
            // The abort ends this process before the exception can reach anyone, like an unhandled
            // exception: its message goes to standard error, as the runtime's would.
            Console.Error.WriteLine($"rank {world.Rank}: {ex.GetType().Name}: {ex.Message}; aborting the job.");
            world.Abort(1);
            throw;
        }
    }

    public override bool Any(bool local) => DataParallel.Any(world, local);

    public override void ReduceGradients(IReadOnlyList<Parameter> parameters) => (_gradients ??= new GradientAverager(world)).Average(parameters);

    public override double EndEpoch(nn.Module model, double lossSum, TaskMetrics metrics)
    {
        DataParallel.AverageRunningStatistics(model, world);
        var total = DataParallel.Sum(world, [lossSum, .. metrics.ToSums()]);
        metrics.FromSums(total.AsSpan(1));
        return total[0];
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Error, Message = "rank {Rank}: {Exception}: {Reason}; aborting the job")]
    private static partial void LogRankFailure(Microsoft.Extensions.Logging.ILogger logger, int rank, string exception, string reason);
}
