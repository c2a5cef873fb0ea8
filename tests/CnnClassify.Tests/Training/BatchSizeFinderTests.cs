using CnnClassify.Data;
using CnnClassify.Training;

namespace CnnClassify.Tests.Training;

/// <summary>
/// The batch-size search doubles from its start until the maximum, the training set's size or the
/// memory budget stops it, records throughput and peak memory for each size, and leaves the
/// trainer as it found it.
/// </summary>
public sealed class BatchSizeFinderTests
{
    private static Trainer Trainer(out CnnClassify.Models.CnnModel model)
    {
        model = TrainingData.Linear(seed: 2);
        return CnnClassify.Training.Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(1e-2)).UsePrecision(CnnClassify.Runtime.Precision.Fp32).Build();
    }

    [Fact]
    public void The_search_doubles_to_the_maximum_within_a_large_budget_and_restores_the_weights()
    {
        var trainer = Trainer(out var model);
        var before = TrainingData.Weights(model);

        var result = trainer.FindBatchSize(TrainingData.Loader(TrainingData.Separable(200)), new BatchSizeFinderOptions { Start = 4, Maximum = 64, MemoryBudgetBytes = long.MaxValue });

        Assert.Equal([4, 8, 16, 32, 64], result.Trials.Select(t => t.BatchSize));
        Assert.Equal(64, result.BatchSize);
        Assert.All(result.Trials, t => Assert.True(t.Fits && t.ImagesPerSecond > 0 && t.PeakBytes > 0, $"batch {t.BatchSize}: {t}"));
        Assert.Contains("above the maximum of 64", result.StopReason, StringComparison.Ordinal);
        Assert.Equal(before, TrainingData.Weights(model));
        Assert.Equal(0, trainer.GlobalStep);
    }

    [Fact]
    public void The_search_stops_at_the_training_sets_size_and_at_a_budget_the_first_size_passes()
    {
        var whole = Trainer(out _).FindBatchSize(TrainingData.Loader(TrainingData.Separable(20)), new BatchSizeFinderOptions { Start = 16, MemoryBudgetBytes = long.MaxValue });
        var tight = Trainer(out _).FindBatchSize(TrainingData.Loader(TrainingData.Separable(64)), new BatchSizeFinderOptions { Start = 8, MemoryBudgetBytes = 1 });

        Assert.Equal([16, 20], whole.Trials.Select(t => t.BatchSize));
        Assert.Equal(20, whole.BatchSize);
        Assert.Contains("holds the whole training set", whole.StopReason, StringComparison.Ordinal);
        Assert.Equal([8], tight.Trials.Select(t => t.BatchSize));
        Assert.False(tight.Trials[0].Fits);
        Assert.Equal(8, tight.BatchSize);
        Assert.Contains("over the budget of 0 MiB", tight.StopReason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_search_refuses_a_start_above_its_maximum_and_fewer_than_two_steps()
    {
        var trainer = Trainer(out _);
        var loader = TrainingData.Loader(TrainingData.Separable(20));

        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.FindBatchSize(loader, new BatchSizeFinderOptions { Start = 64, Maximum = 32 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.FindBatchSize(loader, new BatchSizeFinderOptions { Steps = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.FindBatchSize(loader, new BatchSizeFinderOptions { MemoryBudgetBytes = 0 }));
    }

    [Fact]
    public void Data_of_unreadable_images_ends_both_tuning_tools_with_an_error_instead_of_looping()
    {
        var trainer = Trainer(out var model);
        var before = TrainingData.Weights(model);
        var broken = new CnnClassify.Tests.Data.DataLoaderTests.CountingDataset(6, i => throw new InvalidImageException($"/data/{i}.png", "it cannot be decoded (truncated)"));
        var loader = new CnnClassify.Data.DataLoader(broken, options: new CnnClassify.Data.DataLoaderOptions { BatchSize = 2, Logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance });

        var range = Assert.Throws<InvalidOperationException>(() => trainer.FindLearningRate(loader, new LearningRateFinderOptions { Steps = 10 }));
        var sizes = Assert.Throws<InvalidOperationException>(() => trainer.FindBatchSize(loader, new BatchSizeFinderOptions { Start = 2, Maximum = 4 }));

        Assert.Contains("no readable batch", range.Message, StringComparison.Ordinal);
        Assert.Contains("gave no batch", sizes.Message, StringComparison.Ordinal);
        Assert.Equal(before, TrainingData.Weights(model));
    }
}
