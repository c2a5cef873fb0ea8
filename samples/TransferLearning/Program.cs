// Transfer learning on an ImageFolder with ResNet-18: pretrain on five Fashion-MNIST classes,
// then learn the other five from 10 labelled images each, from scratch and by fine-tuning
// (frozen backbone first, then gradual unfreezing with discriminative learning rates).
// Both runs get the same 10 epochs on the target images.
// Usage: dotnet run -c Release --project samples/TransferLearning [-- --out DIR] [--data DIR]
using System.Globalization;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Interop;
using CnnClassify.Models;
using CnnClassify.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

var outDir = Option("--out") ?? "runs/transfer";
var dataDir = await new DatasetLocator().LocateAsync(MnistVariant.FashionMnist, Option("--data"), download: false);
using var train = MnistDataset.Load(dataDir, train: true, MnistVariant.FashionMnist);
using var test = MnistDataset.Load(dataDir, train: false, MnistVariant.FashionMnist);

// The ImageFolders: source task = classes 0-4 (1,000 images each), target task = classes 5-9
// (10 labelled images each, 200 test images each).
var source = Export(train, Path.Combine(outDir, "source", "train"), classes: [0, 1, 2, 3, 4], perClass: 1000);
var targetTrain = Export(train, Path.Combine(outDir, "target", "train"), classes: [5, 6, 7, 8, 9], perClass: 10);
var targetTest = Export(test, Path.Combine(outDir, "target", "test"), classes: [5, 6, 7, 8, 9], perClass: 200);
var folder = new ImageFolderOptions { ColorMode = ColorMode.Grayscale };
var transform = new Compose(new Resize(32, 32), new RandomHorizontalFlip(), new ToTensor(), Normalize.FashionMnist);
var plain = new Compose(new Resize(32, 32), new ToTensor(), Normalize.FashionMnist);
DataLoader Loader(string root, bool training) => new(new ImageFolderDataset(root, folder), training ? transform : plain,
    new DataLoaderOptions { BatchSize = 32, Shuffle = training, Workers = 1 });
var precision = Autocast.IsSupported ? Precision.Bf16 : Precision.Fp32;

// 1. Pretrain on the source classes and keep the weights as safetensors, as a hub checkpoint would be.
Seeding.Seed(0);
using (var pretrained = ResNet.ResNet18(numClasses: 5, inChannels: 1))
{
    Trainer.For(pretrained).UseOptimizer(OptimizerSpec.Adam(1e-3)).UsePrecision(precision).Build().Fit(Loader(source, true), null, epochs: 3);
    pretrained.SaveSafetensors(Path.Combine(outDir, "source-resnet18.safetensors"));
}

// 2. From scratch on the 200 target images.
Seeding.Seed(1);
using var scratch = ResNet.ResNet18(numClasses: 5, inChannels: 1);
var scratchTrainer = Trainer.For(scratch).UseOptimizer(OptimizerSpec.Adam(1e-3)).UsePrecision(precision).Build();
scratchTrainer.Fit(Loader(targetTrain, true), null, epochs: 10);
var scratchAccuracy = scratchTrainer.Evaluate(Loader(targetTest, false)).Accuracy;

// 3. Transfer: load the backbone (the head is replaced), train the head alone, then unfreeze
//    layer4 and layer3 with smaller learning rates than the head's, in one run.
Seeding.Seed(1);
using var transfer = ResNet.ResNet18(numClasses: 5, inChannels: 1);
var report = transfer.LoadWeights(Path.Combine(outDir, "source-resnet18.safetensors"), strict: false);
transfer.ReplaceHead(5);
Console.WriteLine($"pretrained weights: {report}");

// One trainer for the whole fine-tuning: GradualUnfreezing freezes the backbone, trains the head
// alone for 3 epochs, then adds layer4 and later layer3 to the running optimizer with their own rates.
var unfreezing = new GradualUnfreezing(epochsPerStage: 3, maxStages: 2,
    stageLearningRates: new Dictionary<string, double> { ["layer4"] = 3e-4, ["layer3"] = 1e-4 });
var fineTuner = Trainer.For(transfer).UseOptimizer(OptimizerSpec.Adam(3e-3)).UsePrecision(precision)
    .AddCallback(unfreezing)
    .Build();
var targetTestLoader = Loader(targetTest, false);
fineTuner.Fit(Loader(targetTrain, true), targetTestLoader, epochs: 10);
foreach (var epoch in fineTuner.History.Epochs)
{
    Console.WriteLine($"epoch {epoch.Epoch + 1}: target test {epoch.ValidationAccuracy:P1}");
}

Console.WriteLine($"groups: {string.Join(", ", fineTuner.Optimizer.ParamGroups.Select((g, i) => $"{(i == 0 ? "head" : unfreezing.AddedGroups[i - 1].Name)} {g.LearningRate:G2}"))}");
var last = fineTuner.Evaluate(targetTestLoader);
var transferAccuracy = last.Accuracy;
Console.WriteLine($"target task, 10 labels per class: from scratch {scratchAccuracy:P1}, with transfer {transferAccuracy:P1}");
return 0;

string? Option(string name) => Array.IndexOf(args, name) is var i && i >= 0 && i + 1 < args.Length ? args[i + 1] : null;

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
