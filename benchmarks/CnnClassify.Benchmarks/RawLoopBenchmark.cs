using System.Diagnostics;
using System.Globalization;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Benchmarks;

/// <summary>
/// The yardstick for the CLI's training speed: a minimal hand-written TorchSharp loop over
/// Fashion-MNIST preloaded as one normalised float tensor (no loader, no augmentation), training
/// the zoo's SimpleCNN with TorchSharp's Adam (1e-3) on the first 54,000 training images (the
/// CLI's 90 % split), batch 64 unless given. Prints the images/s of each epoch, then the time the
/// loader's batch path alone takes per batch over the same images, without and with the CLI's
/// light augmentation: the CPU the loader takes from the model.
/// </summary>
internal static class RawLoopBenchmark
{
    public static void Run(string[] args)
    {
        var epochs = int.Parse(Arguments.Option(args, "--epochs", "1"), CultureInfo.InvariantCulture);
        var batch = int.Parse(Arguments.Option(args, "--batch-size", "64"), CultureInfo.InvariantCulture);
        var directory = new DatasetLocator().LocateAsync(MnistVariant.FashionMnist, download: false).GetAwaiter().GetResult();
        using var train = MnistDataset.Load(directory, train: true, MnistVariant.FashionMnist);
        const int Count = 54_000;
        var all = Enumerable.Range(0, Count).ToArray();
        using var images = train.ReadImages(all).to(ScalarType.Float32).div_(255).sub_(0.2860).div_(0.3530);
        using var labels = torch.tensor(all.Select(i => train.LabelAt(i)).ToArray());
        torch.manual_seed(0);
        using var model = ModelZoo.Create("simplecnn", numClasses: 10);
        using var optimizer = optim.Adam(model.parameters(), 1e-3);
        using var loss = nn.CrossEntropyLoss();
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            model.train();
            var clock = Stopwatch.StartNew();
            double total = 0;
            using var order = torch.randperm(Count);
            for (long start = 0; start < Count; start += batch)
            {
                using var scope = torch.NewDisposeScope();
                var index = order.narrow(0, start, Math.Min(batch, Count - start));
                var output = model.call(images.index_select(0, index));
                var value = loss.call(output, labels.index_select(0, index));
                optimizer.zero_grad();
                value.backward();
                optimizer.step();
                total += value.item<float>();
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"raw loop epoch {epoch + 1}: {Count / clock.Elapsed.TotalSeconds:F0} images/s, mean loss {total / Math.Ceiling(Count / (double)batch):F4}, {torch.get_num_threads()} threads"));
        }

        TimeLoader(new Subset(train, all), batch);
    }

    private static void TimeLoader(IImageDataset data, int batch)
    {
        foreach (var (name, transform) in new (string, IImageTransform)[]
        {
            ("none", new Compose(new Resize(28, 28), new ToTensor(), Normalize.FashionMnist)),
            ("light", new Compose(new Resize(28, 28), new RandomCrop(28, padding: 3), new RandomHorizontalFlip(), new ToTensor(), Normalize.FashionMnist)),
        })
        {
            var loader = new DataLoader(data, transform, new DataLoaderOptions { BatchSize = batch, Shuffle = true });
            var clock = Stopwatch.StartNew();
            foreach (var b in loader.Epoch(1))
            {
                b.Dispose();
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"loader alone, augment {name}: {clock.Elapsed.TotalMilliseconds / loader.BatchesPerEpoch:F2} ms per batch of {batch} ({data.Count / clock.Elapsed.TotalSeconds:F0} images/s), batch path {loader.UsesBatchPath}"));
        }
    }
}
