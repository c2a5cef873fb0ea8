namespace CnnClassify.Training;

/// <summary>StepLR: the rate is multiplied by gamma every <see cref="StepSize"/> epochs.</summary>
public sealed class StepSchedule : LearningRateSchedule
{
    internal StepSchedule(int stepSize, double gamma)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepSize, 1);
        RequireGamma(gamma);
        (StepSize, Gamma) = (stepSize, gamma);
    }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>Decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc />
    public override ScheduleInterval Interval => ScheduleInterval.Epoch;

    /// <inheritdoc />
    public override double Factor(int epoch, long globalStep) => Math.Pow(Gamma, epoch / StepSize);
}
