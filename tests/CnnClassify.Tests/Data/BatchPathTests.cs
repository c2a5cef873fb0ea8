using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Data;

/// <summary>
/// The loader's batch path for in-memory datasets: one gather per batch and each transform once
/// on the whole batch must give exactly the images of the sample-by-sample path, which the
/// transform tests check against torchvision's definitions.
/// </summary>
public class BatchPathTests
{
    /// <summary>The same samples, offered only one at a time, so the loader takes the sample path.</summary>
    private sealed class OneAtATime(IImageDataset inner) : IImageDataset
    {
        public int Count => inner.Count;

        public IReadOnlyList<string> Classes => inner.Classes;

        public long LabelAt(int index) => inner.LabelAt(index);

        public ImageSample Read(int index) => inner.Read(index);
    }

    private static bool Same(Tensor a, Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        return a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
    }

    private static TensorDataset Pictures(int count, int channels = 1, int size = 12)
    {
        var images = torch.randint(0, 256, [count, channels, size, size], dtype: ScalarType.Byte, generator: new Generator(11));
        return new TensorDataset(images, Enumerable.Range(0, count).Select(i => (long)(i % 4)).ToList(), ["a", "b", "c", "d"]);
    }

    public static TheoryData<string> Pipelines => ["none", "tensor", "normalize", "flips", "crop", "erase", "same size", "resize", "resize float", "all"];

    private static IImageTransform? Pipeline(string name) => name switch
    {
        "none" => null,
        "tensor" => new ToTensor(),
        "normalize" => new Compose(new ToTensor(), new Normalize([0.3], [0.2])),
        "flips" => new Compose(new RandomHorizontalFlip(), new RandomVerticalFlip(0.3), new ToTensor()),
        "crop" => new Compose(new RandomCrop(10, padding: 3), new ToTensor()),
        "erase" => new Compose(new ToTensor(), new RandomErasing(0.7, value: 0.5)),
        "same size" => new Compose(new Resize(12, 12), new ToTensor()),
        "resize" => new Compose(new Resize(7), new ToTensor()),
        "resize float" => new Compose(new ToTensor(), new Resize(20, 9, Interpolation.Bicubic)),
        _ => new Compose(new RandomCrop(12, padding: 2), new RandomHorizontalFlip(), new ToTensor(), Normalize.FashionMnist, new RandomErasing(0.5)),
    };

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void Batches_equal_the_sample_by_sample_path_for_every_seed_epoch_and_worker_count(string pipeline)
    {
        using var data = Pictures(37);
        foreach (var (workers, epoch) in new[] { (0, 0), (2, 3) })
        {
            var options = new DataLoaderOptions { BatchSize = 8, Shuffle = true, Seed = 4, Workers = workers };
            var fast = new DataLoader(data, Pipeline(pipeline), options);
            var slow = new DataLoader(new OneAtATime(data), Pipeline(pipeline), options);
            Assert.True(fast.UsesBatchPath);
            Assert.False(slow.UsesBatchPath);

            foreach (var (a, b) in fast.Epoch(epoch).Zip(slow.Epoch(epoch)))
            {
                using (a)
                using (b)
                {
                    Assert.Equal(b.Indices, a.Indices);
                    Assert.Equal(b.Labels.data<long>().ToArray(), a.Labels.data<long>().ToArray());
                    Assert.Equal(b.Images.dtype, a.Images.dtype);
                    Assert.Equal(b.Images.shape, a.Images.shape);
                    Assert.True(a.Images.is_contiguous());
                    Assert.True(Same(a.Images, b.Images), $"{pipeline}: batch {string.Join(",", a.Indices)} differs");
                }
            }
        }
    }

    [Fact]
    public void A_subset_of_an_in_memory_dataset_takes_the_batch_path_with_its_own_indices()
    {
        using var data = Pictures(20, channels: 3);
        var subset = new Subset(data, [19, 3, 7, 11, 0]);
        var transform = new Compose(new RandomCrop(12, padding: 1), new ToTensor());
        var fast = new DataLoader(subset, transform, new DataLoaderOptions { BatchSize = 5, Seed = 2 });
        var slow = new DataLoader(new OneAtATime(subset), transform, new DataLoaderOptions { BatchSize = 5, Seed = 2 });

        Assert.True(fast.UsesBatchPath);
        using var a = fast.Epoch().Single();
        using var b = slow.Epoch().Single();
        Assert.True(Same(a.Images, b.Images));
        Assert.Equal([3L, 3, 3, 3, 0], a.Labels.data<long>().ToArray());
    }

    [Fact]
    public void A_transform_without_a_batch_form_keeps_the_sample_path()
    {
        using var data = Pictures(4);

        var loader = new DataLoader(data, new Compose(new RandomRotation(10), new ToTensor()));

        Assert.False(loader.UsesBatchPath);
    }

    [Fact]
    public void Padded_crops_of_a_batch_take_each_sample_from_its_own_window()
    {
        // Sample 0 is 1..16 in a 4x4 grid; a 4x4 crop with padding 1 is the grid moved by the
        // drawn offset, with zeros coming in from the border.
        using var image = torch.arange(1, 17, dtype: ScalarType.Byte).view(1, 1, 4, 4);
        using var batch = torch.cat([image, image]);
        var randoms = new List<Random> { new(1), new(2) };
        var expected = randoms.Select(r => new Random(r == randoms[0] ? 1 : 2)).Select(r => (Top: r.NextInt64(3) - 1, Left: r.NextInt64(3) - 1)).ToList();

        using var cropped = new RandomCrop(4, padding: 1).ApplyBatch(batch, randoms);

        for (var n = 0; n < 2; n++)
        {
            for (var y = 0; y < 4; y++)
            {
                for (var x = 0; x < 4; x++)
                {
                    var (sy, sx) = (y + expected[n].Top, x + expected[n].Left);
                    var want = sy is >= 0 and < 4 && sx is >= 0 and < 4 ? (sy * 4) + sx + 1 : 0;
                    Assert.Equal(want, cropped[n, 0, y, x].item<byte>());
                }
            }
        }
    }

    [Fact]
    public void Batch_transforms_name_themselves_when_given_one_image_or_the_wrong_number_of_random_sources()
    {
        using var image = torch.zeros(1, 4, 4);
        using var batch = torch.zeros(2, 1, 4, 4);

        var single = Assert.Throws<ArgumentException>(() => new RandomHorizontalFlip().ApplyBatch(image, [new Random(1)]));
        var count = Assert.Throws<ArgumentException>(() => new RandomCrop(4).ApplyBatch(batch, [new Random(1)]));

        Assert.Contains("RandomHorizontalFlip expects a batch [N, C, H, W]", single.Message, StringComparison.Ordinal);
        Assert.Contains("RandomCrop got 1 random sources for a batch of 2", count.Message, StringComparison.Ordinal);
    }
}
