// Builds a custom CNN with the fluent builder, mixing plain layers, residual and Inception
// blocks and a custom module, prints its summary, trains it briefly on synthetic data, and
// shows the error a shape mistake produces.
// Usage: dotnet run -c Release --project samples/CustomModel [-- --epochs N]
using System.CommandLine;
using CnnClassify.Data;
using CnnClassify.Layers;
using CnnClassify.Models;
using CnnClassify.Runtime;
using CnnClassify.Training;
using TorchSharp;
using static TorchSharp.torch;

var epochsOption = new Option<int>("--epochs") { Description = "Epochs to train on the synthetic images.", DefaultValueFactory = _ => 6 };
epochsOption.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) { r.AddError("--epochs must be at least 1."); } });
var root = new RootCommand("Builds a custom CNN with the fluent builder, prints its summary, trains it on synthetic images and shows a shape error.") { epochsOption };
root.SetAction((parse, cancellationToken) => Task.FromResult(Run(parse.GetValue(epochsOption), cancellationToken)));
return await root.Parse(args).InvokeAsync();

static int Run(int epochs, CancellationToken cancellationToken)
{
    var model = CnnBuilder.Input(channels: 3, height: 32, width: 32)
        .ConvBlock(32, 3).Named("stem")
        .Residual(32)
        .Residual(64, stride: 2)
        .Inception(new InceptionChannels(Conv1x1: 32, Reduce3x3: 32, Conv3x3: 48, Reduce5x5: 8, Conv5x5: 16, PoolProjection: 16))
        .Add("squeeze", shape => nn.Conv2d(shape.Channels, 64, 1))   // any TorchSharp module; its output shape is inferred
        .BatchNorm().ReLU()
        .GlobalAvgPool()
        .Dropout(0.2)
        .Dense(4).Named("head")
        .WithWeightInit(WeightInitialization.KaimingNormal with { ZeroInitResidual = true })
        .Build();
    Console.WriteLine(model.Summary(depth: 2));

    // Four classes of synthetic images: a bright square in one of the four quadrants.
    torch.manual_seed(0);
    var images = torch.randint(0, 60, [512, 3, 32, 32], dtype: ScalarType.Byte);
    var labels = new long[512];
    for (var i = 0; i < 512; i++)
    {
        labels[i] = i % 4;
        var (top, left) = ((i % 4) / 2 * 16, (i % 4) % 2 * 16);
        images[i, .., top..(top + 16), left..(left + 16)] = torch.tensor((byte)200);
    }

    var dataset = new TensorDataset(images, labels, ["top-left", "top-right", "bottom-left", "bottom-right"]);
    var (train, validation) = DatasetSplit.Split(dataset, 0.25, seed: 0, stratified: true);
    var transform = new CnnClassify.Data.Transforms.ToTensor();
    var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.AdamW(3e-3)).UsePrecision(Precision.Auto).ShowProgress().Build();
    var history = trainer.Fit(
        new DataLoader(train, transform, new DataLoaderOptions { BatchSize = 32, Shuffle = true }),
        new DataLoader(validation, transform, new DataLoaderOptions { BatchSize = 64 }),
        epochs,
        cancellationToken);
    Console.WriteLine($"best validation accuracy {history.Best(Metric.ValidationAccuracy)!.ValidationAccuracy:P1}");

    try
    {
        CnnBuilder.Input(1, 8, 8).Conv(32, 3, padding: 1).MaxPool(2).Conv(64, 3, padding: 1).MaxPool(2)
            .Conv(128, 3, padding: 1).MaxPool(2).ReLU().MaxPool(2);
    }
    catch (LayerShapeException ex)
    {
        Console.WriteLine($"A shape mistake is caught while building: {ex.Message}");
    }

    return 0;
}
