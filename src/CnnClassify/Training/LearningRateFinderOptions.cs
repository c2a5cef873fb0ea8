namespace CnnClassify.Training;

/// <summary>
/// Settings of the learning-rate range test (<see cref="Trainer.FindLearningRate"/>), with
/// fastai's defaults: 100 steps from 1e-7 to 10, the loss smoothed with factor 0.98, stopping
/// once the smoothed loss exceeds 4 times its best.
/// </summary>
public sealed record LearningRateFinderOptions
{
    /// <summary>The first rate tried, above 0.</summary>
    public double StartLearningRate { get; init; } = 1e-7;

    /// <summary>The last rate tried, above <see cref="StartLearningRate"/>.</summary>
    public double EndLearningRate { get; init; } = 10;

    /// <summary>Steps from the first rate to the last, 5 to 10,000; the rate grows by the same factor each step.</summary>
    public int Steps { get; init; } = 100;

    /// <summary>The test stops once the smoothed loss exceeds this multiple of its best, above 1.</summary>
    public double DivergeFactor { get; init; } = 4;

    /// <summary>The exponential moving average's factor for the loss, in [0, 1).</summary>
    public double Smoothing { get; init; } = 0.98;

    internal void Validate()
    {
        if (!(StartLearningRate > 0) || !(EndLearningRate > StartLearningRate) || !double.IsFinite(EndLearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(StartLearningRate), $"The range test needs 0 < start < end; got {StartLearningRate} to {EndLearningRate}.");
        }

        if (Steps is < 5 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "The range test takes 5 to 10,000 steps.");
        }

        if (!(DivergeFactor > 1) || !double.IsFinite(DivergeFactor))
        {
            throw new ArgumentOutOfRangeException(nameof(DivergeFactor), DivergeFactor, "DivergeFactor must be above 1.");
        }

        if (!(Smoothing >= 0 && Smoothing < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Smoothing), Smoothing, "Smoothing must be in [0, 1).");
        }
    }
}
