using System.Globalization;
using CnnClassify.Evaluation.Plots;
using CnnClassify.Serialization;
using CnnClassify.Training;

namespace CnnClassify.Cli;

/// <summary>What <c>lr-find</c> and <c>--lr auto</c> leave: lr_find.png, lr_find.csv and the suggestions on the console.</summary>
internal static class RangeTestOutput
{
    public static void Write(LearningRateFinderResult result, string directory, TextWriter output)
    {
        var plot = Path.Combine(directory, "lr_find.png");
        var table = Path.Combine(directory, "lr_find.csv");
        if (result.LearningRates.Count >= 2)
        {
            LearningRateFinderPlot.Save(result, plot);
        }

        AtomicFile.Write(table, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.WriteLine("step,learning_rate,smoothed_loss");
            for (var i = 0; i < result.LearningRates.Count; i++)
            {
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{i},{result.LearningRates[i]:R},{result.Losses[i]:R}"));
            }
        });

        output.WriteLine($"range test: {result.LearningRates.Count} steps from {Rate(result.LearningRates[0])} to {Rate(result.LearningRates[^1])}");
        foreach (var (name, suggestion) in result.Suggestions)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-11} {Rate(suggestion.LearningRate)} (smoothed loss {suggestion.Loss:F3})"));
        }

        output.WriteLine($"plot in {plot}, rates and losses in {table}");
    }

    /// <summary>A learning rate as the console and the plot show it: three digits, such as 3.02e-4 or 5.46e-2.</summary>
    public static string Rate(double rate) => rate.ToString("0.##e-0", CultureInfo.InvariantCulture);
}
