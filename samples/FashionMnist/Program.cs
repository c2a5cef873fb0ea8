// Smoke run: trains a tiny CNN for a few dozen steps on Fashion-MNIST and prints the loss falling.
// Usage: dotnet run --project samples/FashionMnist [-- --data DIR] [--steps N]
using System.Diagnostics;
using CnnClassify.Building;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using TorchSharp;
using static TorchSharp.torch;

const int BatchSize = 64;
const int ReportEvery = 10;

string? dataOption = null;
var steps = 60;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--data" when i + 1 < args.Length:
            dataOption = args[++i];
            break;
        case "--steps" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n >= 2 * ReportEvery:
            steps = n;
            i++;
            break;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'. Usage: FashionMnist [--data DIR] [--steps N>={2 * ReportEvery}]");
            return 2;
    }
}

string dataDir;
try
{
    dataDir = await new DatasetLocator().LocateAsync(MnistVariant.FashionMnist, dataOption, download: false);
}
catch (FileNotFoundException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}

var clock = Stopwatch.StartNew();
torch.manual_seed(0);
using var train = MnistDataset.Load(dataDir, train: true, MnistVariant.FashionMnist);
using var test = MnistDataset.Load(dataDir, train: false, MnistVariant.FashionMnist);
Console.WriteLine($"Fashion-MNIST from {dataDir}: {train.Count} train, {test.Count} test images ({clock.ElapsedMilliseconds} ms)");
var pipeline = new Compose(new ToTensor(), Normalize.FashionMnist);
var trainLoader = new DataLoader(train, pipeline, new DataLoaderOptions { BatchSize = BatchSize, Shuffle = true, DropLast = true });
var testLoader = new DataLoader(test, pipeline, new DataLoaderOptions { BatchSize = 1000 });

using var model = CnnBuilder.Input(channels: 1, height: 28, width: 28)
    .Conv(16, 3, padding: 1).ReLU().MaxPool(2)
    .Conv(32, 3, padding: 1).ReLU().MaxPool(2)
    .Flatten().Dense(10)
    .Build();
using var optimizer = optim.Adam(model.parameters(), lr: 2e-3);
using var lossFunction = nn.CrossEntropyLoss();
var losses = new List<double>();
model.train();
foreach (var batch in trainLoader.Epoch().Take(steps))
{
    using var scope = torch.NewDisposeScope();
    using (batch)
    {
        var loss = lossFunction.forward(model.forward(batch.Images), batch.Labels);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        losses.Add(loss.item<float>());
    }

    if (losses.Count % ReportEvery == 0)
    {
        Console.WriteLine($"step {losses.Count,4}/{steps}  loss {losses.TakeLast(ReportEvery).Average():F4}");
    }
}

model.eval();
using (torch.no_grad())
{
    var firstBatch = testLoader.Epoch().Take(2).ToList();
    long correct = 0, seen = 0;
    foreach (var batch in firstBatch)
    {
        using var scope = torch.NewDisposeScope();
        using (batch)
        {
            correct += model.forward(batch.Images).argmax(1).eq(batch.Labels).sum().item<long>();
            seen += batch.Count;
        }
    }

    Console.WriteLine($"accuracy on the first {seen} test images: {(double)correct / seen:P1}");
}

var first = losses.Take(ReportEvery).Average();
var last = losses.TakeLast(ReportEvery).Average();
Console.WriteLine($"loss fell from {first:F4} to {last:F4} in {steps} steps ({clock.Elapsed.TotalSeconds:F1} s)");
return last < first ? 0 : 1;
