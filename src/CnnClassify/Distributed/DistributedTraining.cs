using CnnClassify.Training;

namespace CnnClassify.Distributed;

/// <summary>Data-parallel training as a <see cref="TrainerBuilder"/> option.</summary>
public static class DistributedTraining
{
    /// <summary>
    /// Trains data-parallel across the processes of an <c>mpirun</c> launch: rank 0's whole training
    /// state (weights, buffers, optimizer state, epoch, schedule, callbacks: what a checkpoint
    /// holds) is broadcast at the start of <see cref="Trainer.Fit"/>, so a run resumed on rank 0
    /// alone continues on every rank; gradients are averaged over the processes before each
    /// optimizer step (before clipping and fp16's inf/NaN check, so every rank skips a step
    /// together); a non-finite loss on any rank skips or stops on all; BatchNorm running statistics
    /// are averaged before validation and checkpoints; training metrics are summed over the
    /// processes, so early stopping and plateau schedules decide alike; and only rank 0 writes
    /// checkpoints and logs. Each process's training loader must take its own shard
    /// (<c>DataLoaderOptions.ShardCount</c> = the world size, <c>ShardIndex</c> = the rank); an
    /// exception on any rank ends the whole job through <c>MPI_Abort</c>.
    /// </summary>
    /// <param name="builder">The trainer being configured.</param>
    /// <param name="world">The processes; <see langword="null"/> initialises Open MPI (<see cref="MpiWorld.Initialize"/>).</param>
    /// <exception cref="MpiException">Open MPI cannot be loaded.</exception>
    public static TrainerBuilder UseDistributed(this TrainerBuilder builder, MpiWorld? world = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var processes = world ?? MpiWorld.Initialize();
        return builder.UseStrategy(() => new MpiDataParallel(processes));
    }
}
