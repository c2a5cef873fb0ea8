// The seed's Fashion-MNIST job end to end: SimpleCNN with light augmentation, Adam with
// ReduceLROnPlateau, the best checkpoint, history and confusion-matrix plots, the
// classification report, Grad-CAM heatmaps of the top losses, the first layer's filters and
// feature maps, the run report, and a prediction on one image.
// Usage: dotnet run -c Release --project samples/FashionMnist [-- --epochs N] [--data DIR] [--out DIR] [--amp auto|bf16|none]
using System.CommandLine;
using System.Diagnostics;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Evaluation;
using CnnClassify.Evaluation.Plots;
using CnnClassify.Explanation;
using CnnClassify.Inference;
using CnnClassify.Models;
using CnnClassify.Reporting;
using CnnClassify.Runtime;
using CnnClassify.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

var epochsOption = new Option<int>("--epochs") { Description = "Epochs to train.", DefaultValueFactory = _ => 6 };
epochsOption.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) { r.AddError("--epochs must be at least 1."); } });
var dataOption = new Option<DirectoryInfo?>("--data") { Description = "A folder with the four Fashion-MNIST IDX files (gzipped or raw); default: ./data/fashion-mnist, then /usr/share/datasets/fashion-mnist." };
var outOption = new Option<string>("--out") { Description = "Where the checkpoint, plots and reports go.", DefaultValueFactory = _ => "runs/fashion-mnist" };
var ampOption = new Option<string>("--amp") { Description = "Mixed precision: auto (bf16 where the CPU runs it natively, else none), bf16 or none.", DefaultValueFactory = _ => "auto" };
ampOption.AcceptOnlyFromAmong("auto", "bf16", "none");
var root = new RootCommand("Trains SimpleCNN on Fashion-MNIST, evaluates it, writes plots and a run report, and predicts one image.") { epochsOption, dataOption, outOption, ampOption };
root.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(epochsOption), parse.GetValue(dataOption)?.FullName, parse.GetValue(outOption)!, parse.GetValue(ampOption)!, cancellationToken));
return await root.Parse(args).InvokeAsync();

static async Task<int> RunAsync(int epochs, string? data, string outDir, string amp, CancellationToken cancellationToken)
{
    var clock = Stopwatch.StartNew();
    string dataDir;
    try
    {
        dataDir = await new DatasetLocator().LocateAsync(MnistVariant.FashionMnist, data, cancellationToken: cancellationToken);
    }
    catch (FileNotFoundException ex)
    {
        Console.Error.WriteLine(ex.Message);
        return 1;
    }

    using var full = MnistDataset.Load(dataDir, train: true, MnistVariant.FashionMnist);
    using var test = MnistDataset.Load(dataDir, train: false, MnistVariant.FashionMnist);
    var (train, validation) = DatasetSplit.Split(full, validationFraction: 0.1, seed: 0, stratified: true);
    Console.WriteLine($"Fashion-MNIST from {dataDir}: {train.Count} train, {validation.Count} validation, {test.Count} test images");

    Seeding.Seed(0);
    using var model = new SimpleCnn(numClasses: 10, inChannels: 1);
    // The model's description says how images become its input; evaluation transforms (and the
    // checkpoint's predictors) are built from it, and training adds augmentation around the same steps.
    model.Configuration = model.Configuration with
    {
        Preprocessing = new Preprocessing { Mean = Normalize.FashionMnist.Mean, Std = Normalize.FashionMnist.Std },
    };
    var plain = model.Configuration.EvalTransform();
    var augment = new Compose(new RandomHorizontalFlip(), new RandomRotation(10), new ToTensor(), Normalize.FashionMnist);
    var trainLoader = new DataLoader(train, augment, new DataLoaderOptions { BatchSize = 128, Shuffle = true, Workers = 2 });
    var validationLoader = new DataLoader(validation, plain, new DataLoaderOptions { BatchSize = 500 });
    var testLoader = new DataLoader(test, plain, new DataLoaderOptions { BatchSize = 500 });
    Console.WriteLine(model.Summary());
    var trainer = Trainer.For(model)
        .UseOptimizer(OptimizerSpec.Adam(1e-3))
        .UseSchedule(LearningRateSchedule.ReduceOnPlateau(Metric.ValidationLoss, factor: 0.5, patience: 1))
        .UsePrecision(amp switch { "bf16" => Precision.Bf16, "none" => Precision.Fp32, _ => Precision.Auto })
        .UseSeed(0)
        .AddCallback(new CheckpointCallback(outDir, Metric.ValidationAccuracy))
        .AddCallback(new CsvLogger(Path.Combine(outDir, "history.csv")))
        .ShowProgress()
        .Build();
    Console.WriteLine($"precision: {trainer.PrecisionChoice}");
    if (trainer.PrecisionChoice.Warning is { } warning)
    {
        Console.WriteLine($"warning: {warning}");
    }

    var history = trainer.Fit(trainLoader, validationLoader, epochs, cancellationToken);
    HistoryPlot.Save(history, Path.Combine(outDir, "history.png"));

    Checkpoint.LoadModel(Path.Combine(outDir, "best.ckpt"), model);
    var predictions = PredictionSet.Collect(model, testLoader);
    var report = predictions.Report();
    File.WriteAllText(Path.Combine(outDir, "report.txt"), report.ToString());
    ConfusionMatrixPlot.Save(report.Matrix, Path.Combine(outDir, "confusion_matrix.png"));
    Console.WriteLine(report);
    // Where the model looked when it went wrong: Grad-CAM of the predicted class over the top losses.
    HeatmapPlot.SaveTopLosses(predictions, test, new ClassActivationMapper(model), model.Configuration, Path.Combine(outDir, "top_losses_heatmaps.png"));
    RunReport.For(trainer, "Fashion-MNIST: SimpleCNN")
        .Add("Data", "Folder", dataDir)
        .Add("Data", "Images", $"{train.Count:N0} train, {validation.Count:N0} validation, {test.Count:N0} test")
        .Add("Data", "Augmentation", "horizontal flip, rotation up to 10 degrees")
        .Add("Data", "Batch size", "128")
        .AddTiming("Whole job so far", clock.Elapsed)
        .AddEvaluation(predictions, test)
        .AddHeatmaps(model, model.Configuration)
        .Save(Path.Combine(outDir, "report.html"));

    // Predict one test image the way an application would: from a file, with the checkpoint's preprocessing.
    var imagePath = Path.Combine(outDir, "example.png");
    using (var sample = test.Read(0))
    using (var image = Image.LoadPixelData<L8>(sample.Image.data<byte>().ToArray(), 28, 28))
    {
        image.SaveAsPng(imagePath);
    }

    using var predictor = Predictor.FromCheckpoint(Path.Combine(outDir, "best.ckpt"));
    var prediction = predictor.Predict(imagePath);

    // What the convolutions see: the first layer's filters, and its feature maps of the example.
    FeatureMapPlot.SaveFilters(model, Path.Combine(outDir, "filters.png"));
    using (var sample = test.Read(0))
    using (var input = plain.Apply(sample.Image, new Random(0)))
    {
        FeatureMapPlot.SaveActivations(model, "features.2", input, Path.Combine(outDir, "feature_maps.png"));
    }

    Console.WriteLine($"{imagePath}: {prediction.ClassName} ({prediction.Confidence:P1}); true class {test.Classes[(int)test.LabelAt(0)]}");
    Console.WriteLine($"test accuracy {predictions.Accuracy:P2} in {clock.Elapsed.TotalMinutes:F1} min; outputs in {Path.GetFullPath(outDir)}");
    return predictions.Accuracy >= 0.9 ? 0 : 1;
}
