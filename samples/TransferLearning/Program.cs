// Transfer learning from ImageNet with ResNet-18: learn five Fashion-MNIST classes from 10
// labelled images each, once from scratch and once by fine-tuning torchvision's published
// ImageNet weights: the head trains alone first, then layer4 and layer3 join the running optimizer
// with their own, smaller learning rates (GradualUnfreezing). Both runs get 10 epochs.
// The weights come from the torch hub cache (~/.cache/torch/hub/checkpoints), downloaded on first
// use; offline with an empty cache the sample says in one line how to get them and carries on
// from random weights.
// Usage: dotnet run -c Release --project samples/TransferLearning [-- --out DIR] [--data DIR]
using System.CommandLine;
using System.Globalization;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Downloads;
using CnnClassify.Models;
using CnnClassify.Runtime;
using CnnClassify.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

var outOption = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => "runs/transfer" };
var dataOption = new Option<string?>("--data") { Description = "Fashion-MNIST folder (default: ./data/fashion-mnist or /usr/share/datasets/fashion-mnist)." };
var root = new RootCommand("Fine-tune ImageNet ResNet-18 on 10 labelled images per class, against training from scratch.") { outOption, dataOption };
root.SetAction(async (parse, cancellationToken) =>
{
    var outDir = parse.GetValue(outOption)!;
    var dataDir = await new DatasetLocator().LocateAsync(MnistVariant.FashionMnist, parse.GetValue(dataOption), download: false, cancellationToken).ConfigureAwait(false);
    using var train = MnistDataset.Load(dataDir, train: true, MnistVariant.FashionMnist);
    using var test = MnistDataset.Load(dataDir, train: false, MnistVariant.FashionMnist);

    // The target task as ImageFolders: classes 5-9, 10 labelled images each, 200 test images each.
    var targetTrain = Export(train, Path.Combine(outDir, "target", "train"), classes: [5, 6, 7, 8, 9], perClass: 10);
    var targetTest = Export(test, Path.Combine(outDir, "target", "test"), classes: [5, 6, 7, 8, 9], perClass: 200);
    var precision = Precision.Auto;

    // Published ImageNet weights with a fresh 5-class head, or random weights when they cannot be had.
    Seeding.Seed(1);
    ClassificationModel transfer;
    try
    {
        transfer = ModelZoo.Create("resnet18", numClasses: 5, weights: "DEFAULT",
            progress: new Progress<DownloadProgress>(p => Console.Write($"\rdownloading {p.FileName}: {p.BytesReceived / 1e6:F1} MB")));
        Console.WriteLine($"starting from {WeightCatalog.Get("resnet18")} ({WeightCatalog.Get("resnet18").Accuracy1:F1} % ImageNet top-1)");
    }
    catch (WeightDownloadException ex)
    {
        Console.WriteLine($"ImageNet weights unavailable ({ex.Reason}): put the file at {ex.CachePath} or set {WeightCache.BaseUrlVariable}; continuing from random weights.");
        transfer = ModelZoo.Create("resnet18", numClasses: 5);
    }

    using (transfer)
    {
        // The images are prepared as the weights expect (RGB, ImageNet normalisation), at 64x64 to
        // keep it quick: the model's description says so, and the evaluation transform comes from it.
        transfer.Configuration = transfer.Configuration with
        {
            InputHeight = 64, InputWidth = 64, Preprocessing = transfer.Configuration.Preprocessing with { ResizeSize = null },
        };
        var preprocessing = transfer.Configuration.Preprocessing;
        var plain = transfer.Configuration.EvalTransform();
        var augment = new Compose(new Resize(64, 64), new RandomHorizontalFlip(), new ToTensor(), new Normalize(preprocessing.Mean, preprocessing.Std));
        var folder = new ImageFolderOptions { ColorMode = ColorMode.Rgb };
        DataLoader Loader(string path, bool training) => new(new ImageFolderDataset(path, folder), training ? augment : plain,
            new DataLoaderOptions { BatchSize = 25, Shuffle = training, Workers = 1 });

        // From scratch on the 50 target images.
        Seeding.Seed(1);
        using var scratch = ModelZoo.Create("resnet18", numClasses: 5);
        scratch.Configuration = scratch.Configuration with { InputHeight = 64, InputWidth = 64, Preprocessing = preprocessing };
        var scratchTrainer = Trainer.For(scratch).UseOptimizer(OptimizerSpec.Adam(1e-3)).UsePrecision(precision).ShowProgress().Build();
        scratchTrainer.Fit(Loader(targetTrain, true), null, epochs: 10, cancellationToken);
        var scratchAccuracy = scratchTrainer.Evaluate(Loader(targetTest, false)).Accuracy;

        // Fine-tuning in one run: the head alone for 3 epochs, then layer4, then layer3 as well.
        var unfreezing = new GradualUnfreezing(epochsPerStage: 3, maxStages: 2,
            stageLearningRates: new Dictionary<string, double> { ["layer4"] = 3e-4, ["layer3"] = 1e-4 });
        var fineTuner = Trainer.For(transfer).UseOptimizer(OptimizerSpec.Adam(3e-3)).UsePrecision(precision)
            .AddCallback(unfreezing)
            .AddCallback(new CheckpointCallback(Path.Combine(outDir, "fine-tuned"), Metric.ValidationAccuracy))
            .ShowProgress()
            .Build();
        var testLoader = Loader(targetTest, false);
        fineTuner.Fit(Loader(targetTrain, true), testLoader, epochs: 10, cancellationToken);
        var rates = fineTuner.Optimizer.ParamGroups.Select((g, i) => $"{(i == 0 ? "head" : unfreezing.AddedGroups[i - 1].Name)} {g.LearningRate:G2}");
        Console.WriteLine($"parameter groups at the end: {string.Join(", ", rates)}");
        var transferAccuracy = fineTuner.Evaluate(testLoader).Accuracy;
        Console.WriteLine($"target task, 10 labels per class: from scratch {scratchAccuracy:P1}, fine-tuned {transferAccuracy:P1}");
    }

    return 0;
});
return await root.Parse(args).InvokeAsync();

static string Export(IImageDataset dataset, string root, int[] classes, int perClass)
{
    foreach (var label in classes)
    {
        var directory = Path.Combine(root, dataset.Classes[label].Replace('/', '-'));
        Directory.CreateDirectory(directory);
        var indices = Enumerable.Range(0, dataset.Count).Where(i => dataset.LabelAt(i) == label).Take(perClass);
        foreach (var index in indices)
        {
            var path = Path.Combine(directory, index.ToString("D5", CultureInfo.InvariantCulture) + ".png");
            if (File.Exists(path))
            {
                continue;
            }

            using var sample = dataset.Read(index);
            using var image = Image.LoadPixelData<L8>(sample.Image.data<byte>().ToArray(), 28, 28);
            image.SaveAsPng(path);
        }
    }

    return root;
}
