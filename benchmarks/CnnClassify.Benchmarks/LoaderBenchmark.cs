using System.Diagnostics;
using System.Globalization;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CnnClassify.Benchmarks;

/// <summary>
/// Decode-plus-augment throughput of the data loader on generated ImageFolders of JPEGs, for
/// several worker counts. One warm-up epoch, then the median of three timed epochs.
/// </summary>
internal static class LoaderBenchmark
{
    public static void Run(string[] args)
    {
        var images = int.Parse(Arguments.Option(args, "--images", "512"), CultureInfo.InvariantCulture);
        var workers = Arguments.Option(args, "--workers", "1,2,4").Split(',').Select(w => int.Parse(w, CultureInfo.InvariantCulture)).ToArray();
        var keep = Arguments.Option(args, "--keep", string.Empty);
        var root = keep.Length > 0 ? keep : Directory.CreateTempSubdirectory("cnnclassify-loader-bench-").FullName;
        try
        {
            Console.WriteLine($"Loader throughput, {images} JPEGs per folder, {Environment.ProcessorCount} cores, TorchSharp threads {TorchSharp.torch.get_num_threads()}");
            Console.WriteLine("| Images | Pipeline | Workers | Images/s |");
            Console.WriteLine("| --- | --- | ---: | ---: |");
            foreach (var size in new[] { 32, 224 })
            {
                var folder = Path.Combine(root, size.ToString(CultureInfo.InvariantCulture));
                if (!Directory.Exists(folder))
                {
                    Generate(folder, size, images);
                }
                var dataset = new ImageFolderDataset(folder);
                var (name, transform) = size == 32
                    ? ("RandomCrop(32, pad 4), flip, ToTensor, Normalize", (IImageTransform)new Compose(new RandomCrop(32, 4), new RandomHorizontalFlip(), new ToTensor(), Normalize.Cifar10))
                    : ("RandomResizedCrop(224), flip, ToTensor, Normalize", new Compose(new RandomResizedCrop(224), new RandomHorizontalFlip(), new ToTensor(), Normalize.ImageNet));
                foreach (var count in workers)
                {
                    var loader = new DataLoader(dataset, transform, new DataLoaderOptions { BatchSize = 64, Shuffle = true, Workers = count });
                    Epoch(loader, 0);
                    var rates = Enumerable.Range(1, 3).Select(epoch => Epoch(loader, epoch)).Order().ToList();
                    Console.WriteLine($"| {size}x{size} | {name} | {count} | {rates[1]:N0} |");
                }
            }
        }
        finally
        {
            if (keep.Length == 0)
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static double Epoch(DataLoader loader, int epoch)
    {
        var clock = Stopwatch.StartNew();
        var count = 0;
        foreach (var batch in loader.Epoch(epoch))
        {
            count += batch.Count;
            batch.Dispose();
        }

        return count / clock.Elapsed.TotalSeconds;
    }

    private static void Generate(string folder, int size, int count)
    {
        var random = new Random(size);
        for (var i = 0; i < count; i++)
        {
            var path = Path.Combine(folder, $"class{i % 4}", $"{i:D5}.jpg");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var image = new Image<Rgb24>(size, size);
            var (r, g) = (random.Next(256), random.Next(256));
            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++)
                {
                    image[x, y] = new Rgb24((byte)(r + x), (byte)(g + y), (byte)((x * y) + random.Next(16)));
                }
            }

            image.SaveAsJpeg(path);
        }
    }
}
