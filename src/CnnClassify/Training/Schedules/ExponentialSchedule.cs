namespace CnnClassify.Training;

/// <summary>ExponentialLR: the rate is multiplied by gamma every epoch.</summary>
public sealed class ExponentialSchedule : LearningRateSchedule
{
    internal ExponentialSchedule(double gamma)
    {
        RequireGamma(gamma);
        Gamma = gamma;
    }

    /// <summary>Decay factor per epoch.</summary>
    public double Gamma { get; }

    /// <inheritdoc />
    public override ScheduleInterval Interval => ScheduleInterval.Epoch;

    /// <inheritdoc />
    public override double Factor(int epoch, long globalStep) => Math.Pow(Gamma, epoch);
}
