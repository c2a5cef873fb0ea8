using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Data;

public class DataLoaderTests
{
    /// <summary>Sample i is a 1x4x4 image filled with i (mod 256), label i mod 3.</summary>
    internal sealed class CountingDataset(int count, Func<int, ImageSample?>? special = null) : IImageDataset
    {
        public int Count => count;

        public IReadOnlyList<string> Classes => ["a", "b", "c"];

        public long LabelAt(int index) => index % 3;

        public ImageSample Read(int index) =>
            special?.Invoke(index) ?? new ImageSample(torch.full([1, 4, 4], index % 256, ScalarType.Byte), index % 3, $"sample{index}");
    }

    private static readonly IImageTransform Augment = new Compose(new RandomCrop(4, padding: 1), new RandomHorizontalFlip(), new ToTensor());

    [Fact]
    public void Without_shuffle_batches_are_consecutive_and_the_last_may_be_short()
    {
        var loader = new DataLoader(new CountingDataset(10), options: new DataLoaderOptions { BatchSize = 4 });

        var batches = loader.Epoch().Select(batch => { using (batch) { return batch.Indices.ToArray(); } }).ToList();

        Assert.Equal([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]], batches);
    }

    [Fact]
    public void Drop_last_leaves_out_the_short_batch()
    {
        var loader = new DataLoader(new CountingDataset(10), options: new DataLoaderOptions { BatchSize = 4, DropLast = true });

        Assert.Equal(2, loader.BatchesPerEpoch);
        Assert.Equal(2, loader.Epoch().Count(batch => { batch.Dispose(); return true; }));
    }

    [Fact]
    public void Batches_hold_the_images_and_labels_of_their_indices()
    {
        var loader = new DataLoader(new CountingDataset(6), options: new DataLoaderOptions { BatchSize = 3, Shuffle = true, Seed = 1 });

        foreach (var batch in loader.Epoch())
        {
            using (batch)
            {
                Assert.Equal([3L, 1, 4, 4], batch.Images.shape);
                Assert.Equal(batch.Indices.Select(i => (long)(i % 3)), batch.Labels.data<long>().ToArray());
                Assert.Equal(batch.Indices.Select(i => (byte)i), batch.Images[.., 0, 0, 0].data<byte>().ToArray());
            }
        }
    }

    [Fact]
    public void Shuffling_is_reproducible_per_seed_and_epoch_and_covers_every_sample_once()
    {
        var loader = new DataLoader(new CountingDataset(50), options: new DataLoaderOptions { BatchSize = 8, Shuffle = true, Seed = 3 });
        var same = new DataLoader(new CountingDataset(50), options: new DataLoaderOptions { BatchSize = 8, Shuffle = true, Seed = 3 });

        var epoch0 = loader.BatchIndices(0).SelectMany(b => b).ToList();
        var epoch1 = loader.BatchIndices(1).SelectMany(b => b).ToList();

        Assert.Equal(Enumerable.Range(0, 50), epoch0.Order());
        Assert.Equal(epoch0, same.BatchIndices(0).SelectMany(b => b));
        Assert.NotEqual(epoch0, epoch1);
        Assert.NotEqual(Enumerable.Range(0, 50), epoch0);
    }

    [Fact]
    public void The_same_batches_come_out_whatever_the_number_of_workers()
    {
        List<(float[] Images, long[] Labels)> Run(int workers)
        {
            var options = new DataLoaderOptions { BatchSize = 5, Shuffle = true, Seed = 7, Workers = workers, Prefetch = 2 };
            var loader = new DataLoader(new CountingDataset(23), Augment, options);
            return loader.Epoch(epoch: 2).Select(batch =>
            {
                using (batch)
                {
                    return (batch.Images.data<float>().ToArray(), batch.Labels.data<long>().ToArray());
                }
            }).ToList();
        }

        var serial = Run(0);
        foreach (var workers in new[] { 1, 3 })
        {
            var parallel = Run(workers);
            Assert.Equal(serial.Count, parallel.Count);
            for (var b = 0; b < serial.Count; b++)
            {
                Assert.Equal(serial[b].Labels, parallel[b].Labels);
                Assert.Equal(serial[b].Images, parallel[b].Images);
            }
        }
    }

    [Fact]
    public void Workers_prepare_batches_at_the_same_time()
    {
        // Each read waits until two reads are in progress at once; serial reading would time out.
        using var barrier = new Barrier(2);
        var dataset = new CountingDataset(4, index =>
        {
            if (!barrier.SignalAndWait(TimeSpan.FromSeconds(20)))
            {
                throw new TimeoutException("Reads did not overlap.");
            }

            return null;
        });
        var loader = new DataLoader(dataset, options: new DataLoaderOptions { BatchSize = 1, Workers = 2 });

        var indices = loader.Epoch().Select(batch => { using (batch) { return batch.Indices[0]; } }).ToList();

        Assert.Equal([0, 1, 2, 3], indices);
    }

    [Fact]
    public void Cancelling_stops_the_epoch()
    {
        using var cancellation = new CancellationTokenSource();
        var loader = new DataLoader(new CountingDataset(100), Augment, new DataLoaderOptions { BatchSize = 2, Workers = 2 });
        var seen = 0;

        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var batch in loader.Epoch(0, cancellation.Token))
            {
                batch.Dispose();
                if (++seen == 3)
                {
                    cancellation.Cancel();
                }
            }
        });

        Assert.Equal(3, seen);
    }

    [Fact]
    public void Undecodable_samples_are_skipped_with_a_warning_or_raised_when_asked()
    {
        ImageSample? Broken(int index) => index == 2 ? throw new InvalidImageException($"/data/cat/{index}.jpg", "it cannot be decoded (truncated)") : null;

        var skipping = new DataLoader(new CountingDataset(5, Broken), options: new DataLoaderOptions { BatchSize = 5, Workers = 1 });
        var raising = new DataLoader(new CountingDataset(5, Broken), options: new DataLoaderOptions { BatchSize = 5, InvalidSamples = InvalidSamplePolicy.Throw });

        using (var batch = Assert.Single(skipping.Epoch()))
        {
            Assert.Equal([0, 1, 3, 4], batch.Indices);
        }

        var error = Assert.Throws<InvalidImageException>(() => raising.Epoch().ToList());
        Assert.Equal("/data/cat/2.jpg", error.Path);
    }

    [Fact]
    public void Images_of_different_sizes_in_one_batch_name_both_samples()
    {
        var dataset = new CountingDataset(2, index => index == 1 ? new ImageSample(torch.zeros([1, 5, 5], ScalarType.Byte), 0, "big.png") : null);
        var loader = new DataLoader(dataset, options: new DataLoaderOptions { BatchSize = 2 });

        var error = Assert.Throws<InvalidOperationException>(() => loader.Epoch().ToList());

        Assert.Contains("big.png has shape [1, 5, 5] but sample0 has [1, 4, 4]", error.Message);
    }
}

/// <summary>
/// Live-tensor counts are process-wide, so these tests run alone. A tensor that is leaked rather
/// than disposed would still be freed by its finalizer, so the measured part runs in a no-GC
/// region: nothing is finalized there, and only explicit disposal brings the count back.
/// </summary>
[Collection(SerialTests.Name)]
public class DataLoaderDisposalTests
{
    private static long LiveTensorsAfter(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var before = torch.Tensor.TotalCount;
        Assert.True(GC.TryStartNoGCRegion(200_000_000), "Could not start a no-GC region.");
        try
        {
            action();
            return torch.Tensor.TotalCount - before;
        }
        finally
        {
            if (System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion)
            {
                GC.EndNoGCRegion();
            }
        }
    }

    /// <summary>Tensors left alive by epochs 1 to 3, after epoch 0 has warmed everything up.</summary>
    private static long LiveTensorsOverEpochs(DataLoader loader)
    {
        foreach (var batch in loader.Epoch(0))
        {
            batch.Dispose();
        }

        return LiveTensorsAfter(() =>
        {
            for (var epoch = 1; epoch <= 3; epoch++)
            {
                foreach (var batch in loader.Epoch(epoch))
                {
                    batch.Dispose();
                }
            }
        });
    }

    [Fact]
    public void Every_tensor_the_loader_creates_is_disposed_once_the_batches_are()
    {
        var loader = new DataLoader(new DataLoaderTests.CountingDataset(40), new Compose(new RandomCrop(4, 1), new ToTensor(), Normalize.Mnist), new DataLoaderOptions { BatchSize = 6, Workers = 2, Shuffle = true });
        Assert.Equal(0, LiveTensorsOverEpochs(loader));
    }

    [Fact]
    public void The_batch_path_of_an_in_memory_dataset_disposes_everything_it_creates()
    {
        using var images = torch.randint(0, 256, [40, 1, 6, 6], dtype: ScalarType.Byte);
        using var data = new TensorDataset(images.clone(), Enumerable.Range(0, 40).Select(i => (long)(i % 2)).ToList(), ["a", "b"]);
        var loader = new DataLoader(data, new Compose(new RandomCrop(6, 2), new RandomHorizontalFlip(), new ToTensor(), Normalize.Mnist, new RandomErasing()), new DataLoaderOptions { BatchSize = 6, Workers = 2, Shuffle = true });
        Assert.True(loader.UsesBatchPath);
        Assert.Equal(0, LiveTensorsOverEpochs(loader));
    }

    [Fact]
    public void Leaving_an_epoch_early_disposes_the_batches_prepared_ahead()
    {
        var loader = new DataLoader(new DataLoaderTests.CountingDataset(60), options: new DataLoaderOptions { BatchSize = 2, Workers = 3, Prefetch = 6 });
        var leaked = LiveTensorsAfter(() =>
        {
            foreach (var batch in loader.Epoch())
            {
                batch.Dispose();
                Thread.Sleep(50); // let the workers fill the prefetch queue
                break;
            }
        });

        Assert.Equal(0, leaked);
    }
}
