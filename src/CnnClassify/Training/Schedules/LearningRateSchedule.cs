using System.Text.Json.Nodes;

namespace CnnClassify.Training;

/// <summary>
/// A learning-rate schedule, as a factor applied to each parameter group's base rate, so that
/// per-group rates keep their ratios. The trainer sets the rates before every optimizer step, at
/// the granularity the schedule declares. Apart from <see cref="ReduceOnPlateauSchedule"/>, a
/// schedule is a pure function of the epoch and the step, which makes resuming exact.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>Whether the rate changes per optimizer step or per epoch.</summary>
    public abstract ScheduleInterval Interval { get; }

    /// <summary>StepLR: multiply by <paramref name="gamma"/> every <paramref name="stepSize"/> epochs.</summary>
    /// <param name="stepSize">Epochs between decays, at least 1.</param>
    /// <param name="gamma">Decay factor, in (0, 1].</param>
    public static LearningRateSchedule Step(int stepSize, double gamma = 0.1) => new StepSchedule(stepSize, gamma);

    /// <summary>MultiStepLR: multiply by <paramref name="gamma"/> at each milestone epoch.</summary>
    /// <param name="milestones">Epochs at which to decay, increasing.</param>
    /// <param name="gamma">Decay factor, in (0, 1].</param>
    public static LearningRateSchedule MultiStep(IReadOnlyList<int> milestones, double gamma = 0.1) => new MultiStepSchedule(milestones, gamma);

    /// <summary>ExponentialLR: multiply by <paramref name="gamma"/> every epoch.</summary>
    /// <param name="gamma">Decay factor, in (0, 1].</param>
    public static LearningRateSchedule Exponential(double gamma) => new ExponentialSchedule(gamma);

    /// <summary>CosineAnnealingLR: from the base rate down to <paramref name="minFactor"/> of it over <paramref name="periodEpochs"/> epochs.</summary>
    /// <param name="periodEpochs">Epochs of the half cosine (PyTorch's T_max), at least 1.</param>
    /// <param name="minFactor">The final rate as a share of the base rate (PyTorch's eta_min / base), in [0, 1).</param>
    public static LearningRateSchedule CosineAnnealing(int periodEpochs, double minFactor = 0) => new CosineAnnealingSchedule(periodEpochs, minFactor);

    /// <summary>OneCycleLR with cosine annealing: the base rate is the peak; see <see cref="OneCycleSchedule"/>.</summary>
    /// <param name="pctStart">Share of the steps spent rising, in (0, 1).</param>
    /// <param name="divFactor">Peak / starting rate.</param>
    /// <param name="finalDivFactor">Starting rate / final rate.</param>
    public static LearningRateSchedule OneCycle(double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4) => new OneCycleSchedule(pctStart, divFactor, finalDivFactor);

    /// <summary>ReduceLROnPlateau on a monitored metric; see <see cref="ReduceOnPlateauSchedule"/>.</summary>
    /// <param name="monitor">The metric: validation loss (minimised) or accuracy (maximised) and so on.</param>
    /// <param name="factor">Multiplier when the metric stalls, in (0, 1).</param>
    /// <param name="patience">Epochs without improvement before reducing.</param>
    /// <param name="threshold">Relative improvement that counts.</param>
    /// <param name="cooldown">Epochs to wait after a reduction.</param>
    /// <param name="minFactor">Lowest rate as a share of the base rate.</param>
    public static LearningRateSchedule ReduceOnPlateau(Metric monitor = Metric.ValidationLoss, double factor = 0.1, int patience = 10, double threshold = 1e-4, int cooldown = 0, double minFactor = 0) =>
        new ReduceOnPlateauSchedule(monitor, factor, patience, threshold, cooldown, minFactor);

    /// <summary>Linear warmup from <paramref name="startFactor"/> of the rate to the full rate over <paramref name="steps"/> optimizer steps, multiplied by <paramref name="then"/>.</summary>
    /// <param name="steps">Warmup steps, at least 1.</param>
    /// <param name="then">The schedule that follows (multiplied in throughout); <see langword="null"/> for a constant rate.</param>
    /// <param name="startFactor">The first step's share of the rate, in (0, 1].</param>
    public static LearningRateSchedule Warmup(int steps, LearningRateSchedule? then = null, double startFactor = 0.01) => new WarmupSchedule(steps, then, startFactor);

    /// <summary>The factor of each group's base rate during <paramref name="epoch"/> at optimizer step <paramref name="globalStep"/>.</summary>
    /// <param name="epoch">Zero-based epoch.</param>
    /// <param name="globalStep">Zero-based optimizer step since training began.</param>
    public abstract double Factor(int epoch, long globalStep);

    /// <summary>Called by the trainer before training with the total number of optimizer steps.</summary>
    /// <param name="totalSteps">Optimizer steps in the whole run.</param>
    public virtual void Prepare(long totalSteps)
    {
    }

    /// <summary>Called by the trainer after each epoch with its metrics.</summary>
    /// <param name="metrics">The epoch's metrics.</param>
    public virtual void OnEpochEnd(EpochMetrics metrics)
    {
    }

    /// <summary>The state to save in a checkpoint, for stateful schedules.</summary>
    public virtual JsonObject SaveState() => [];

    /// <summary>Restores state saved by <see cref="SaveState"/>.</summary>
    /// <param name="state">The saved state.</param>
    public virtual void LoadState(JsonObject state)
    {
    }

    private protected static void RequireGamma(double gamma)
    {
        if (!(gamma > 0 && gamma <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be in (0, 1].");
        }
    }
}
