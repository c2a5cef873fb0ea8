using CnnClassify.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// How the processes of a run share its work: one process alone, or data-parallel over Open MPI
/// (an NCCL strategy would go beside it). The trainer's loop asks the strategy at its four
/// meeting points and never names a process group.
/// </summary>
internal abstract class TrainingStrategy
{
    /// <summary>Whether this process writes checkpoints, logs and reports.</summary>
    public virtual bool IsMainProcess => true;

    /// <summary>This process's index among the run's processes.</summary>
    public virtual int Rank => 0;

    /// <summary>How many processes share the run.</summary>
    public virtual int ProcessCount => 1;

    /// <summary>How the work is shared, in words, for reports: <c>one process</c>, or the process group and its size.</summary>
    public virtual string Description => "one process";

    /// <summary>
    /// Runs <paramref name="prepare"/> (describing the data) and then <paramref name="fit"/>, the
    /// whole training, with what the strategy needs around them: the same starting state in every
    /// process, and every process ending together when one fails.
    /// </summary>
    public virtual History Run(Trainer trainer, Data.DataLoader train, Action prepare, Func<History> fit)
    {
        prepare();
        return fit();
    }

    /// <summary>Whether <paramref name="local"/> holds in any process (a non-finite loss, a skipped batch), so that all act together.</summary>
    public virtual bool Any(bool local) => local;

    /// <summary>Makes the gradients of <paramref name="parameters"/> those of the whole step.</summary>
    public virtual void ReduceGradients(IReadOnlyList<Parameter> parameters)
    {
    }

    /// <summary>
    /// Gives every process the same statistics, loss sum and metrics before validation: returns
    /// the loss sum of all processes, and leaves <paramref name="metrics"/> counting all their samples.
    /// </summary>
    public virtual double EndEpoch(nn.Module model, double lossSum, TaskMetrics metrics) => lossSum;

    /// <summary>One process alone: every meeting point is a no-op.</summary>
    public sealed class SingleProcess : TrainingStrategy
    {
        /// <summary>The one instance.</summary>
        public static readonly SingleProcess Instance = new();

        private SingleProcess()
        {
        }
    }
}
