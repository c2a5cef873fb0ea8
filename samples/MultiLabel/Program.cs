// Multi-label classification from a label table: Fashion-MNIST mosaics (each image a 2x2 grid
// holding 0 to 4 items, labelled with the set of their classes) are written as PNG files and
// CSV tables, then a small CNN with global max pooling is trained on them with binary
// cross-entropy, per-label thresholds are chosen on validation data, and the test set is
// evaluated with scikit-learn's metrics (mAP, F1, Hamming loss) and predicted from the checkpoint.
// Usage: dotnet run -c Release --project samples/MultiLabel [-- --epochs N --train N --out DIR]
using System.CommandLine;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Evaluation;
using CnnClassify.Inference;
using CnnClassify.Models;
using CnnClassify.Runtime;
using CnnClassify.Training;
using MultiLabel;

var epochsOption = new Option<int>("--epochs") { Description = "Epochs to train.", DefaultValueFactory = _ => 8 };
var trainOption = new Option<int>("--train") { Description = "Training mosaics to generate (a tenth is held out for validation); test mosaics are a fifth of it.", DefaultValueFactory = _ => 3000 };
var outOption = new Option<string>("--out") { Description = "Folder for the data, checkpoints and report.", DefaultValueFactory = _ => Path.Combine("runs", "multilabel") };
foreach (var option in new[] { epochsOption, trainOption })
{
    option.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) { r.AddError($"{option.Name} must be at least 1."); } });
}

var root = new RootCommand("Trains a multi-label classifier on Fashion-MNIST mosaics read from CSV tables.") { epochsOption, trainOption, outOption };
root.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(epochsOption), parse.GetValue(trainOption), parse.GetValue(outOption)!, cancellationToken));
return await root.Parse(args).InvokeAsync();

static async Task<int> RunAsync(int epochs, int count, string output, CancellationToken cancellationToken)
{
    // 1. The data: mosaics and their tables (image,labels with labels joined by ';').
    var folder = Path.Combine(output, "data");
    if (!File.Exists(Path.Combine(folder, "test.csv")))
    {
        var fashion = await new DatasetLocator().LocateAsync(MnistVariant.FashionMnist, cancellationToken: cancellationToken);
        using var train = MnistDataset.Load(fashion, train: true, MnistVariant.FashionMnist);
        using var test = MnistDataset.Load(fashion, train: false, MnistVariant.FashionMnist);
        FashionMosaics.Write(train, folder, "train", count, seed: 1);
        FashionMosaics.Write(test, folder, "test", Math.Max(1, count / 5), seed: 2);
    }

    var table = new LabelTableOptions { LabelSeparator = ';', ColorMode = ColorMode.Grayscale };
    var labelled = LabeledImageDataset.FromCsv(Path.Combine(folder, "train.csv"), table);
    var tested = LabeledImageDataset.FromCsv(Path.Combine(folder, "test.csv"), table with { Classes = labelled.Classes });
    var (fit, validation) = DatasetSplit.Split(labelled, validationFraction: 0.1, seed: 0, stratified: true);
    Console.WriteLine($"{labelled.Count} training mosaics ({fit.Count} fit, {validation.Count} validation), {tested.Count} test, classes: {string.Join(", ", labelled.Classes)}");

    // 2. The model: one description (task, input, normalisation) travels to the checkpoint and predictor.
    using var model = CnnBuilder.Input(channels: 1, height: 56, width: 56)
        .ConvBlock(32, 3).MaxPool(2).ConvBlock(64, 3).MaxPool(2).ConvBlock(128, 3).MaxPool(2).ConvBlock(128, 3)
        .GlobalMaxPool()   // an item counts wherever it is in the grid
        .Dense(labelled.Classes.Count)
        .WithPreprocessing(new Preprocessing { Mean = [0.5], Std = [0.5] })
        .Build();
    model.Configuration = model.Configuration with { Task = TaskNames.MultiLabel };
    var transform = model.Configuration.EvalTransform();

    // 3. Training: BCE on the multi-hot targets, thresholds tuned after each validation, best mAP kept.
    var checkpoints = Path.Combine(output, "checkpoints");
    var trainer = Trainer.For(model)
        .UseOptimizer(OptimizerSpec.Adam(3e-3))
        .UseSchedule(LearningRateSchedule.OneCycle())
        .UseLoss(LossFunction.BinaryCrossEntropy())
        .AddCallback(new ThresholdTuning())
        .AddCallback(new CheckpointCallback(checkpoints, Metric.ValidationMeanAveragePrecision))
        .ShowProgress()
        .Build();
    trainer.Fit(
        new DataLoader(fit, transform, new DataLoaderOptions { BatchSize = 32, Shuffle = true, Workers = 1 }),
        new DataLoader(validation, transform, new DataLoaderOptions { BatchSize = 128 }),
        epochs,
        cancellationToken);

    // 4. The test set, with the best checkpoint's weights and thresholds.
    var best = Path.Combine(checkpoints, "best.ckpt");
    Checkpoint.LoadModel(best, model);
    var predictions = MultiLabelPredictionSet.Collect(model, new DataLoader(tested, transform, new DataLoaderOptions { BatchSize = 128 }));
    var report = predictions.Report();
    Console.WriteLine(report);

    // 5. Prediction from the checkpoint alone: every label at or above its threshold.
    using var predictor = Predictor.FromCheckpoint(best);
    foreach (var i in Enumerable.Range(0, Math.Min(5, tested.Count)))
    {
        var prediction = predictor.Predict(tested.Files[i]);
        var truth = string.Join(", ", tested.LabelsAt(i).Select(c => tested.Classes[c]));
        var found = string.Join(", ", prediction.Labels.Select(l => $"{l.Name} ({l.Probability:P0})"));
        Console.WriteLine($"{Path.GetFileName(tested.Files[i])}: true [{truth}], predicted [{found}]");
    }

    Console.WriteLine($"test mAP {report.MeanAveragePrecision:F4}; checkpoints in {checkpoints}");
    return 0;
}
