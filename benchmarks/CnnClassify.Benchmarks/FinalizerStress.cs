using System.Diagnostics;
using System.Runtime.InteropServices;
using CnnClassify.Data;
using CnnClassify.Layers;
using CnnClassify.Models;
using CnnClassify.Runtime;
using CnnClassify.Training;
using TorchSharp;
using static TorchSharp.torch;
using DataLoader = CnnClassify.Data.DataLoader;

namespace CnnClassify.Benchmarks;

/// <summary>
/// Trains BatchNorm ResNet-style models while another thread forces garbage collections and runs
/// finalizers, and counts the steps that fail: the library's Trainer with each optimizer, and for
/// comparison a hand-written loop over TorchSharp's own BatchNorm2d and optimizers.
/// </summary>
internal static class FinalizerStress
{
    public static void Run(string[] args)
    {
        var steps = args.SkipWhile(a => a != "--steps").Skip(1).Select(int.Parse).FirstOrDefault(4000);
        Console.WriteLine($"| Loop | Optimizer | Steps | Failed steps | Forced collections | Seconds |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: |");
        foreach (var optimizer in new[] { "sgd", "rmsprop", "adam", "adamw" })
        {
            Report("CnnClassify Trainer", optimizer, steps, () => Library(optimizer));
            Report("TorchSharp modules and optimizers", optimizer, steps, () => TorchSharpLoop(optimizer));
        }
    }

    private static void Report(string loop, string optimizer, int steps, Func<Func<bool>> prepare)
    {
        var step = prepare();
        var (failed, collections) = (0, 0);
        var stop = 0;
        var collector = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                collections++;
            }
        });
        var clock = Stopwatch.StartNew();
        collector.Start();
        for (var i = 0; i < steps; i++)
        {
            try
            {
                step();
            }
            catch (ExternalException)
            {
                failed++;
            }
        }

        Volatile.Write(ref stop, 1);
        collector.Join();
        Console.WriteLine($"| {loop} | {optimizer} | {steps:N0} | {failed} | {collections:N0} | {clock.Elapsed.TotalSeconds:F0} |");
    }

    /// <summary>One optimizer step of the library's Trainer per call (one batch per epoch).</summary>
    private static Func<bool> Library(string optimizer)
    {
        torch.manual_seed(3);
        var model = CnnBuilder.Input(3, 12, 12).ConvBlock(8, 3).Residual(16, stride: 2).Residual(16).GlobalAvgPool().Dense(4).Build();
        var spec = optimizer switch
        {
            "sgd" => OptimizerSpec.Sgd(0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4),
            "rmsprop" => OptimizerSpec.RmsProp(1e-3, momentum: 0.9, weightDecay: 1e-4),
            "adam" => OptimizerSpec.Adam(1e-3, weightDecay: 1e-4),
            _ => OptimizerSpec.AdamW(1e-3),
        };
        var trainer = Trainer.For(model).UseOptimizer(spec).UseLoss(LossFunction.CrossEntropy(labelSmoothing: 0.1)).ClipGradientNorm(5).UseSeed(1).Build();
        var images = torch.randint(0, 256, [16, 3, 12, 12], dtype: ScalarType.Byte);
        var loader = new DataLoader(new TensorDataset(images, Enumerable.Range(0, 16).Select(i => (long)(i % 4)).ToList(), ["a", "b", "c", "d"]),
            new CnnClassify.Data.Transforms.ToTensor(), new DataLoaderOptions { BatchSize = 16 });
        return () =>
        {
            trainer.Fit(loader, null, trainer.Epoch + 1);
            return true;
        };
    }

    /// <summary>The same model and step written directly against TorchSharp's modules and optimizers.</summary>
    private static Func<bool> TorchSharpLoop(string optimizer)
    {
        torch.manual_seed(3);
        var model = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding: 1, bias: false), nn.BatchNorm2d(8), nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride: 2, padding: 1, bias: false), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 16, 3, padding: 1, bias: false), nn.BatchNorm2d(16), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 4));
        optim.Optimizer step = optimizer switch
        {
            "sgd" => optim.SGD(model.parameters(), 0.05, momentum: 0.9, nesterov: true, weight_decay: 5e-4),
            "rmsprop" => optim.RMSProp(model.parameters(), 1e-3, momentum: 0.9, weight_decay: 1e-4),
            "adam" => optim.Adam(model.parameters(), 1e-3, weight_decay: 1e-4),
            _ => optim.AdamW(model.parameters(), 1e-3),
        };
        var images = torch.rand(16, 3, 12, 12);
        var labels = torch.arange(16) % 4;
        return () =>
        {
            using var scope = torch.NewDisposeScope();
            step.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(images), labels, label_smoothing: 0.1);
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 5);
            step.step();
            return true;
        };
    }
}
