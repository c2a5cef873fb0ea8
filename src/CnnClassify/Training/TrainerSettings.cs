using CnnClassify.Models;
using CnnClassify.Runtime;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>Everything <see cref="TrainerBuilder"/> collected, validated.</summary>
internal sealed record TrainerSettings
{
    public required nn.Module<Tensor, Tensor> Model { get; init; }

    /// <summary>What batches go through: the model, or its head when training on cached features.</summary>
    public required nn.Module<Tensor, Tensor> Forward { get; init; }

    public required OptimizerSpec Optimizer { get; init; }

    public IReadOnlyList<ParameterGroup>? ParameterGroups { get; init; }

    public required LossFunction Loss { get; init; }

    public LearningRateSchedule? Schedule { get; init; }

    public Precision Precision { get; init; }

    /// <summary>How <see cref="Precision"/> was chosen.</summary>
    public required PrecisionChoice PrecisionChoice { get; init; }

    public bool ChannelsLast { get; init; }

    /// <summary>Whether the C library keeps memory that LibTorch frees (<see cref="TrainerBuilder.UseNativeMemoryReuse"/>).</summary>
    public bool ReuseNativeMemory { get; init; } = true;

    public required Microsoft.Extensions.Logging.ILogger Logger { get; init; }

    public double? ClipNorm { get; init; }

    public double? ClipValue { get; init; }

    public int AccumulationSteps { get; init; } = 1;

    public NonFiniteLossPolicy NonFiniteLoss { get; init; }

    public required Device Device { get; init; }

    public int? Seed { get; init; }

    /// <summary>What the model is trained for: its loss by default, its metrics, how mixed targets count.</summary>
    public required ClassificationTask Task { get; init; }

    /// <summary>How the processes share the work: one alone, or data-parallel.</summary>
    public TrainingStrategy Strategy { get; init; } = TrainingStrategy.SingleProcess.Instance;

    public required IReadOnlyList<TrainerCallback> Callbacks { get; init; }

    public ModelConfiguration? Configuration { get; init; }

    public Metric? RequiresValidation { get; init; }
}
