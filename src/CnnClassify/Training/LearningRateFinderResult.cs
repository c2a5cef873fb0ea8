namespace CnnClassify.Training;

/// <summary>The outcome of a learning-rate range test.</summary>
/// <param name="LearningRates">The rate of each step tried.</param>
/// <param name="Losses">The smoothed, bias-corrected loss at each step.</param>
/// <param name="SuggestedLearningRate">The rate where the loss fell fastest (the steepest slope against log rate).</param>
public sealed record LearningRateFinderResult(IReadOnlyList<double> LearningRates, IReadOnlyList<double> Losses, double SuggestedLearningRate);
