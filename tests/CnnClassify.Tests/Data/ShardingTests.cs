using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using TorchSharp;

namespace CnnClassify.Tests.Data;

/// <summary>Sharded loaders deal each epoch's samples to the processes of a data-parallel run, as PyTorch's DistributedSampler.</summary>
public sealed class ShardingTests
{
    private static TensorDataset Numbers(int count) =>
        new(torch.arange(count, dtype: torch.ScalarType.Byte).view(count, 1, 1, 1).expand(count, 1, 4, 4).contiguous(), Enumerable.Range(0, count).Select(i => (long)(i % 2)).ToList(), ["even", "odd"]);

    private static DataLoader Loader(int count, int shards, int shard, bool shuffle = true) =>
        new(Numbers(count), null, new DataLoaderOptions { BatchSize = 3, Shuffle = shuffle, Seed = 4, ShardCount = shards, ShardIndex = shard });

    [Fact]
    public void Shards_are_disjoint_of_equal_length_and_cover_the_dataset()
    {
        var whole = Loader(10, 1, 0).BatchIndices(2).SelectMany(b => b).ToList();
        var shards = Enumerable.Range(0, 2).Select(k => Loader(10, 2, k).BatchIndices(2).SelectMany(b => b).ToList()).ToList();

        Assert.All(shards, shard => Assert.Equal(5, shard.Count));
        Assert.Empty(shards[0].Intersect(shards[1]));
        Assert.Equal(Enumerable.Range(0, 10), shards.SelectMany(s => s).Order());
        // Dealt round-robin from the one order all shards share: positions 0, 2, 4, ... and 1, 3, 5, ...
        Assert.Equal(whole.Where((_, i) => i % 2 == 0), shards[0]);
        Assert.Equal(whole.Where((_, i) => i % 2 == 1), shards[1]);
    }

    [Fact]
    public void An_uneven_dataset_is_padded_with_the_start_of_the_order()
    {
        var whole = Loader(10, 1, 0, shuffle: false).BatchIndices(0).SelectMany(b => b).ToList();
        var shards = Enumerable.Range(0, 3).Select(k => Loader(10, 3, k, shuffle: false).BatchIndices(0).SelectMany(b => b).ToList()).ToList();

        Assert.All(shards, shard => Assert.Equal(4, shard.Count));
        Assert.Equal([0, 3, 6, 9], shards[0]);
        Assert.Equal([1, 4, 7, 0], shards[1]);
        Assert.Equal([2, 5, 8, 1], shards[2]);
        Assert.Equal(whole, shards.SelectMany(s => s).Distinct().Order());
        Assert.Equal(2, Loader(10, 3, 0).BatchesPerEpoch);
    }

    [Fact]
    public void A_samples_random_transform_does_not_depend_on_the_shard_count()
    {
        var dataset = Numbers(8);
        var transform = new Compose(new RandomCrop(4, padding: 2), new ToTensor());
        var single = new DataLoader(dataset, transform, new DataLoaderOptions { BatchSize = 8, Shuffle = true, Seed = 9 });
        var sharded = new DataLoader(dataset, transform, new DataLoaderOptions { BatchSize = 8, Shuffle = true, Seed = 9, ShardCount = 2, ShardIndex = 1 });

        using var all = single.Epoch(3).Single();
        using var part = sharded.Epoch(3).Single();
        for (var i = 0; i < part.Count; i++)
        {
            var position = Array.IndexOf(all.Indices.ToArray(), part.Indices[i]);
            TensorAssert.Equal(all.Images[position], part.Images[i], 0);
        }
    }

    [Fact]
    public void A_shard_outside_the_count_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Loader(10, 2, 2));

        Assert.Contains("ShardIndex must be in [0, 2)", error.Message, StringComparison.Ordinal);
    }
}
