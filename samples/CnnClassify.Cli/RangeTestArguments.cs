using System.CommandLine;
using CnnClassify.Training;

namespace CnnClassify.Cli;

/// <summary>The options of <c>lr-find</c>'s range: where it starts and ends and how many steps it takes.</summary>
internal sealed class RangeTestArguments
{
    public Option<double> Start { get; } = new Option<double>("--start-lr") { Description = "The first learning rate tried.", DefaultValueFactory = _ => 1e-7 }.Above(0);

    public Option<double> End { get; } = new Option<double>("--end-lr") { Description = "The last learning rate tried (above --start-lr).", DefaultValueFactory = _ => 10 }.Above(0);

    public Option<int> Steps { get; } = new Option<int>("--steps") { Description = "Steps from the first rate to the last (the test stops earlier once the loss diverges).", DefaultValueFactory = _ => 100 }.Between(5, 10_000);

    public IReadOnlyList<Option> All => [Start, End, Steps];

    public LearningRateFinderOptions Options(ParseResult parse)
    {
        var (start, end) = (parse.GetValue(Start), parse.GetValue(End));
        if (!(end > start))
        {
            throw new UsageException($"--end-lr ({end}) must be above --start-lr ({start}).");
        }

        return new LearningRateFinderOptions { StartLearningRate = start, EndLearningRate = end, Steps = parse.GetValue(Steps) };
    }
}
