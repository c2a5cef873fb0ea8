using CnnClassify.Data;
using CnnClassify.Layers;
using CnnClassify.Models;
using CnnClassify.Runtime;
using CnnClassify.Training;
using TorchSharp;
using Xunit.Abstractions;
using DataLoader = CnnClassify.Data.DataLoader;

namespace CnnClassify.Tests.Training;

/// <summary>
/// Training steps while another thread forces garbage collections and runs finalizers. A Scalar
/// made implicitly from a number is freed by its finalizer, possibly during the native call that
/// reads it; the library's step path holds every Scalar it passes, so no step may fail.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class FinalizerStressTests(ITestOutputHelper output)
{
    // 120 steps per optimizer keep the four runs near a minute in the full suite, where each forced
    // collection walks a large heap; `benchmarks -- stress` runs 4,000 steps per optimizer.
    private const int Epochs = 15;

    public static TheoryData<string> Optimizers => new() { "sgd", "rmsprop", "adam", "adamw" };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void A_batchnorm_resnet_trains_under_forced_collections_without_a_failure(string optimizer)
    {
        torch.manual_seed(3);
        using var model = CnnBuilder.Input(3, 12, 12)
            .ConvBlock(8, 3).Residual(16, stride: 2).Residual(16).GlobalAvgPool().Dropout(0.1).Dense(4)
            .Build();
        var spec = optimizer switch
        {
            "sgd" => OptimizerSpec.Sgd(0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4),
            "rmsprop" => OptimizerSpec.RmsProp(1e-3, momentum: 0.9, weightDecay: 1e-4),
            "adam" => OptimizerSpec.Adam(1e-3, weightDecay: 1e-4),
            _ => OptimizerSpec.AdamW(1e-3),
        };
        var trainer = Trainer.For(model).UseOptimizer(spec).UseLoss(LossFunction.Focal()).ClipGradientNorm(5).UseBatchMixing(BatchMixer.MixUp(0.2)).UseSeed(1)
            .AddCallback(new ExponentialMovingAverage(0.9)).Build();
        var images = torch.randint(0, 256, [64, 3, 12, 12], dtype: torch.ScalarType.Byte);
        var loader = new DataLoader(new TensorDataset(images, Enumerable.Range(0, 64).Select(i => (long)(i % 4)).ToList(), ["a", "b", "c", "d"]),
            new CnnClassify.Data.Transforms.ToTensor(), new DataLoaderOptions { BatchSize = 8, Shuffle = true });

        var stop = 0;
        var collections = 0;
        var collector = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                collections++;
            }
        });
        collector.Start();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            trainer.Fit(loader, null, epochs: Epochs);
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            collector.Join();
        }

        output.WriteLine($"{optimizer}: {trainer.GlobalStep} steps in {clock.Elapsed.TotalSeconds:F1} s under {collections} forced collections");
        Assert.Equal(Epochs * loader.BatchesPerEpoch, trainer.GlobalStep);
    }
}
