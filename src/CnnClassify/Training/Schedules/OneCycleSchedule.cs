namespace CnnClassify.Training;

/// <summary>
/// OneCycleLR (Smith, 2018) with cosine annealing, per optimizer step, as PyTorch computes it:
/// from <c>1 / divFactor</c> of the base rate up to the base rate over the first
/// <see cref="PctStart"/> of the steps, then down to <c>1 / (divFactor * finalDivFactor)</c>.
/// Set the optimizer's rate to the peak rate.
/// </summary>
public sealed class OneCycleSchedule : LearningRateSchedule
{
    private long _totalSteps;

    internal OneCycleSchedule(double pctStart, double divFactor, double finalDivFactor)
    {
        if (!(pctStart > 0 && pctStart < 1) || !(divFactor > 0) || !(finalDivFactor > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(pctStart), "Need pctStart in (0, 1) and positive division factors.");
        }

        (PctStart, DivFactor, FinalDivFactor) = (pctStart, divFactor, finalDivFactor);
    }

    /// <summary>Share of the steps spent rising.</summary>
    public double PctStart { get; }

    /// <summary>Peak rate / starting rate.</summary>
    public double DivFactor { get; }

    /// <summary>Starting rate / final rate.</summary>
    public double FinalDivFactor { get; }

    /// <inheritdoc />
    public override ScheduleInterval Interval => ScheduleInterval.Step;

    /// <inheritdoc />
    public override void Prepare(long totalSteps)
    {
        if (totalSteps < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"OneCycle needs at least 2 optimizer steps to warm up and anneal; this run has {totalSteps}. Train more epochs, use smaller batches, or pick another schedule.");
        }

        _totalSteps = totalSteps;
    }

    /// <inheritdoc />
    public override double Factor(int epoch, long globalStep)
    {
        if (_totalSteps == 0)
        {
            throw new InvalidOperationException("OneCycleSchedule needs the total number of steps; the trainer calls Prepare before training.");
        }

        var initial = 1 / DivFactor;
        var final = initial / FinalDivFactor;
        var peakStep = (PctStart * _totalSteps) - 1;
        var lastStep = _totalSteps - 1.0;
        var s = Math.Min(globalStep, _totalSteps - 1);
        return s <= peakStep
            ? Anneal(initial, 1, s / peakStep)
            : Anneal(1, final, (s - peakStep) / (lastStep - peakStep));
    }

    private static double Anneal(double start, double end, double pct) => end + ((start - end) / 2 * (1 + Math.Cos(Math.PI * pct)));
}
