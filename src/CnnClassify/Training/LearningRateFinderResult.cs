namespace CnnClassify.Training;

/// <summary>The outcome of a learning-rate range test.</summary>
/// <param name="LearningRates">The rate of each step tried (of the parameter group with the largest base rate).</param>
/// <param name="Losses">The smoothed, bias-corrected loss at each step.</param>
/// <param name="Valley">fastai's valley: halfway along the longest run of ever-lower losses (a longest decreasing subsequence).</param>
/// <param name="Steepest">The rate where the smoothed loss falls fastest against the logarithm of the rate.</param>
/// <param name="Minimum">A tenth of the rate with the lowest smoothed loss.</param>
public sealed record LearningRateFinderResult(IReadOnlyList<double> LearningRates, IReadOnlyList<double> Losses, LearningRateSuggestion Valley, LearningRateSuggestion Steepest, LearningRateSuggestion Minimum)
{
    /// <summary>The rate to train with: <see cref="Valley"/>'s, fastai's default suggestion.</summary>
    public double SuggestedLearningRate => Valley.LearningRate;

    /// <summary>The suggestions by name: valley, steepest and minimum/10.</summary>
    public IReadOnlyList<(string Name, LearningRateSuggestion Suggestion)> Suggestions => [("valley", Valley), ("steepest", Steepest), ("minimum/10", Minimum)];
}

/// <summary>A suggested learning rate and the smoothed loss recorded nearest to it.</summary>
/// <param name="LearningRate">The rate.</param>
/// <param name="Loss">The smoothed loss at the recorded rate nearest to it (on a log scale).</param>
public readonly record struct LearningRateSuggestion(double LearningRate, double Loss);
