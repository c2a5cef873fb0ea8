namespace CnnClassify.Training;

/// <summary>MultiStepLR: the rate is multiplied by gamma at each milestone epoch.</summary>
public sealed class MultiStepSchedule : LearningRateSchedule
{
    internal MultiStepSchedule(IReadOnlyList<int> milestones, double gamma)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        if (milestones.Count == 0 || milestones.Any(m => m < 1) || milestones.Zip(milestones.Skip(1)).Any(pair => pair.First >= pair.Second))
        {
            throw new ArgumentException("Milestones must be increasing epochs >= 1.", nameof(milestones));
        }

        RequireGamma(gamma);
        (Milestones, Gamma) = ([.. milestones], gamma);
    }

    /// <summary>Epochs at which the rate decays.</summary>
    public IReadOnlyList<int> Milestones { get; }

    /// <summary>Decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc />
    public override ScheduleInterval Interval => ScheduleInterval.Epoch;

    /// <inheritdoc />
    public override double Factor(int epoch, long globalStep) => Math.Pow(Gamma, Milestones.Count(m => m <= epoch));
}
