namespace CnnClassify.Training;

/// <summary>
/// Linear warmup over the first <see cref="Steps"/> optimizer steps, from
/// <see cref="StartFactor"/> to 1, multiplied by the schedule that follows.
/// </summary>
public sealed class WarmupSchedule : LearningRateSchedule
{
    internal WarmupSchedule(int steps, LearningRateSchedule? then, double startFactor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (!(startFactor > 0 && startFactor <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, "startFactor must be in (0, 1].");
        }

        (Steps, Then, StartFactor) = (steps, then, startFactor);
    }

    /// <summary>Warmup steps.</summary>
    public int Steps { get; }

    /// <summary>The first step's share of the rate.</summary>
    public double StartFactor { get; }

    /// <summary>The schedule multiplied in, if any.</summary>
    public LearningRateSchedule? Then { get; }

    /// <inheritdoc />
    public override ScheduleInterval Interval => ScheduleInterval.Step;

    /// <inheritdoc />
    public override double Factor(int epoch, long globalStep)
    {
        var warm = globalStep >= Steps ? 1 : StartFactor + ((1 - StartFactor) * globalStep / Steps);
        return warm * (Then?.Factor(epoch, globalStep) ?? 1);
    }

    /// <inheritdoc />
    public override void Prepare(long totalSteps) => Then?.Prepare(totalSteps);

    /// <inheritdoc />
    public override void OnEpochEnd(EpochMetrics metrics) => Then?.OnEpochEnd(metrics);

    /// <inheritdoc />
    public override System.Text.Json.Nodes.JsonObject SaveState() => Then?.SaveState() ?? [];

    /// <inheritdoc />
    public override void LoadState(System.Text.Json.Nodes.JsonObject state) => Then?.LoadState(state);
}
