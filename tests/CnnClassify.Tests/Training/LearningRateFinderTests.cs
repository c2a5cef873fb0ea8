using CnnClassify.Data;
using CnnClassify.Evaluation.Plots;
using CnnClassify.Training;
using TorchSharp;

namespace CnnClassify.Tests.Training;

/// <summary>
/// The range test restores everything it touches, so a run with it equals a run without it; its
/// suggestions follow fastai's rules, checked on a hand-made curve; and its plot marks them.
/// </summary>
public sealed class LearningRateFinderTests
{
    [Fact]
    public void A_run_with_a_range_test_in_the_middle_trains_exactly_like_a_run_without_it()
    {
        var data = TrainingData.Separable(96);
        Trainer Build(out CnnClassify.Models.CnnModel model)
        {
            model = TrainingData.Linear(seed: 3);
            return Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(1e-2)).UsePrecision(CnnClassify.Runtime.Precision.Fp32).UseSeed(1).Build();
        }

        var plain = Build(out var plainModel);
        var tested = Build(out var testedModel);
        plain.Fit(TrainingData.Loader(data), null, epochs: 1);
        tested.Fit(TrainingData.Loader(data), null, epochs: 1);
        var before = TrainingData.Weights(testedModel);

        var result = tested.FindLearningRate(TrainingData.Loader(data), new LearningRateFinderOptions { StartLearningRate = 1e-5, EndLearningRate = 100, Steps = 40 });

        Assert.Equal(before, TrainingData.Weights(testedModel));
        Assert.Equal(plain.LearningRates, tested.LearningRates);
        Assert.Equal(plain.GlobalStep, tested.GlobalStep);
        Assert.True(testedModel.training);
        Assert.True(result.LearningRates.Count >= 5);
        Assert.True(result.LearningRates.Zip(result.LearningRates.Skip(1)).All(p => p.Second > p.First));
        plain.Fit(TrainingData.Loader(data), null, epochs: 2);
        tested.Fit(TrainingData.Loader(data), null, epochs: 2);
        Assert.Equal(TrainingData.Weights(plainModel), TrainingData.Weights(testedModel));
    }

    [Fact]
    public void Suggestions_follow_fastais_valley_steepest_and_minimum_rules_on_a_hand_made_curve()
    {
        // Rising until step 19, falling by 0.01 a step to step 80, rising after.
        var rates = Enumerable.Range(0, 100).Select(i => 1e-7 * Math.Pow(1e8, i / 99.0)).ToList();
        var losses = Enumerable.Range(0, 100).Select(i => i < 20 ? 2.0 + (0.001 * i) : i <= 80 ? 2.0 - (0.01 * (i - 20)) : 1.4 + (0.05 * (i - 80))).ToList();

        var result = LearningRateSuggestions.From(rates, losses, plannedSteps: 100);

        // Steps 10 to 94 are weighed. The longest falling run is step 19 then 20 to 80 (62 points),
        // so fastai's start is 80 - 62 = 18 and the valley 18 + (int)(62 / 3) + (int)(62 / 6) = 48.
        Assert.Equal(rates[48], result.Valley.LearningRate, 12);
        Assert.Equal(losses[48], result.Valley.Loss, 12);
        // The steepest fall is from step 19 (2.019) to 20 (2.0), twice the slope of the rest.
        Assert.Equal(rates[19], result.Steepest.LearningRate, 12);
        Assert.Equal(rates[80] / 10, result.Minimum.LearningRate, 12);
        Assert.Equal(result.Valley.LearningRate, result.SuggestedLearningRate);
    }

    [Fact]
    public void The_plot_draws_the_curve_on_a_log_axis_with_a_line_per_suggestion()
    {
        var rates = Enumerable.Range(0, 60).Select(i => 1e-6 * Math.Pow(10, i / 10.0)).ToList();
        var losses = rates.Select(r => 2 - Math.Exp(-Math.Pow(Math.Log10(r) + 2, 2))).ToList();
        var result = LearningRateSuggestions.From(rates, losses, plannedSteps: 60);
        var path = Path.Combine(Path.GetTempPath(), $"cnnclassify-lrfind-{Guid.NewGuid():N}.png");
        try
        {
            var panel = LearningRateFinderPlot.Save(result, path);

            Assert.Equal(AxisScale.Log, panel.X.Scale);
            Assert.Equal(["smoothed loss", .. result.Suggestions.Select(s => $"{s.Name} {AxisRange.Scientific(s.Suggestion.LearningRate)}")], panel.Series.Select(s => s.Name));
            foreach (var (series, suggestion) in panel.Series.Skip(1).Zip(result.Suggestions))
            {
                var expected = panel.DataArea.Left + ((Math.Log10(suggestion.Suggestion.LearningRate) - Math.Log10(panel.X.Minimum)) / (Math.Log10(panel.X.Maximum) - Math.Log10(panel.X.Minimum)) * panel.DataArea.Width);
                Assert.All(series.Points, p => Assert.Equal(expected, p.X, 0.5));
                Assert.Equal(2, series.Points.Count);
            }

            var image = SixLabors.ImageSharp.Image.Identify(path);
            Assert.Equal((640, 440), (image.Width, image.Height));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_range_test_refuses_a_backwards_range_and_too_few_steps()
    {
        var trainer = Trainer.For(TrainingData.Linear()).Build();
        var loader = TrainingData.Loader(TrainingData.Separable(32));

        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.FindLearningRate(loader, new LearningRateFinderOptions { StartLearningRate = 1, EndLearningRate = 0.1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.FindLearningRate(loader, new LearningRateFinderOptions { Steps = 4 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.SetLearningRate(0));
    }
}
