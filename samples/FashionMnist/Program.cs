// Smoke run: trains a tiny CNN for a few dozen steps on Fashion-MNIST and prints the loss falling.
// Usage: dotnet run --project samples/FashionMnist [-- --data DIR] [--steps N]
using System.Diagnostics;
using CnnClassify.Data;
using TorchSharp;
using static TorchSharp.torch;

const int BatchSize = 64;
const int ReportEvery = 10;
const double Mean = 0.2860, Std = 0.3530;

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

string[] searched = dataOption is null
    ? [Path.GetFullPath("data/fashion-mnist"), "/usr/share/datasets/fashion-mnist"]
    : [Path.GetFullPath(dataOption)];
var dataDir = searched.FirstOrDefault(dir => FindFile(dir, "train-images-idx3-ubyte") is not null);
if (dataDir is null)
{
    Console.Error.WriteLine($"Fashion-MNIST not found. Looked for train-images-idx3-ubyte[.gz] in: {string.Join(", ", searched)}.");
    Console.Error.WriteLine("Pass --data DIR, or install the Debian package dataset-fashion-mnist (eng/run provides it).");
    return 1;
}

var clock = Stopwatch.StartNew();
torch.manual_seed(0);
using var trainImages = IdxFile.Read(FindFile(dataDir, "train-images-idx3-ubyte")!);
using var trainLabels = IdxFile.Read(FindFile(dataDir, "train-labels-idx1-ubyte")!);
using var testImages = IdxFile.Read(FindFile(dataDir, "t10k-images-idx3-ubyte")!);
using var testLabels = IdxFile.Read(FindFile(dataDir, "t10k-labels-idx1-ubyte")!);
Console.WriteLine($"Fashion-MNIST from {dataDir}: {trainImages.shape[0]} train, {testImages.shape[0]} test images ({clock.ElapsedMilliseconds} ms)");

using var model = nn.Sequential(
    ("conv1", nn.Conv2d(1, 16, 3, padding: 1)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
    ("conv2", nn.Conv2d(16, 32, 3, padding: 1)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
    ("flatten", nn.Flatten()), ("fc", nn.Linear(32 * 7 * 7, 10)));
using var optimizer = optim.Adam(model.parameters(), lr: 2e-3);
using var lossFunction = nn.CrossEntropyLoss();
using var order = torch.randperm(trainImages.shape[0]);

var losses = new List<double>();
model.train();
for (var step = 0; step < steps; step++)
{
    using var scope = torch.NewDisposeScope();
    var indices = order.narrow(0, step * BatchSize % (order.shape[0] - BatchSize), BatchSize);
    var loss = lossFunction.forward(model.forward(Normalize(trainImages.index_select(0, indices))), trainLabels.index_select(0, indices).to(ScalarType.Int64));
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    losses.Add(loss.item<float>());
    if ((step + 1) % ReportEvery == 0)
    {
        Console.WriteLine($"step {step + 1,4}/{steps}  loss {losses.TakeLast(ReportEvery).Average():F4}");
    }
}

model.eval();
using (torch.no_grad())
using (torch.NewDisposeScope())
{
    var count = Math.Min(2000, testImages.shape[0]);
    var predicted = model.forward(Normalize(testImages.narrow(0, 0, count))).argmax(1);
    var accuracy = predicted.eq(testLabels.narrow(0, 0, count).to(ScalarType.Int64)).to(ScalarType.Float32).mean().item<float>();
    Console.WriteLine($"accuracy on the first {count} test images: {accuracy:P1}");
}

var first = losses.Take(ReportEvery).Average();
var last = losses.TakeLast(ReportEvery).Average();
Console.WriteLine($"loss fell from {first:F4} to {last:F4} in {steps} steps ({clock.Elapsed.TotalSeconds:F1} s)");
return last < first ? 0 : 1;

static Tensor Normalize(Tensor images) =>
    images.unsqueeze(1).to(ScalarType.Float32).div_(255).sub_(Mean).div_(Std);

static string? FindFile(string dir, string name) =>
    new[] { name, name + ".gz" }.Select(file => Path.Combine(dir, file)).FirstOrDefault(File.Exists);
