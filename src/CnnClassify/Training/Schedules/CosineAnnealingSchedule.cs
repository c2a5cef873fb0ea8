namespace CnnClassify.Training;

/// <summary>
/// CosineAnnealingLR in closed form: <c>min + (1 - min) * (1 + cos(pi * epoch / period)) / 2</c>,
/// continuing as a cosine after the period as PyTorch does.
/// </summary>
public sealed class CosineAnnealingSchedule : LearningRateSchedule
{
    internal CosineAnnealingSchedule(int periodEpochs, double minFactor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(periodEpochs, 1);
        if (!(minFactor >= 0 && minFactor < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(minFactor), minFactor, "minFactor must be in [0, 1).");
        }

        (PeriodEpochs, MinFactor) = (periodEpochs, minFactor);
    }

    /// <summary>Epochs of the half cosine.</summary>
    public int PeriodEpochs { get; }

    /// <summary>The lowest rate as a share of the base rate.</summary>
    public double MinFactor { get; }

    /// <inheritdoc />
    public override ScheduleInterval Interval => ScheduleInterval.Epoch;

    /// <inheritdoc />
    public override double Factor(int epoch, long globalStep) =>
        MinFactor + ((1 - MinFactor) * (1 + Math.Cos(Math.PI * epoch / PeriodEpochs)) / 2);
}
