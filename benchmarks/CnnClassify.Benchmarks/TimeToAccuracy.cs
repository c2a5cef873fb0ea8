using System.Diagnostics;
using System.Globalization;
using CnnClassify.Building;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Training;

namespace CnnClassify.Benchmarks;

/// <summary>
/// Wall-clock time from process start until Fashion-MNIST test accuracy reaches a target
/// (default 93 %), with the recipe below: a small ResNet built with the builder, AdamW with
/// OneCycle, label smoothing 0.1, bf16 autocast, channels-last batches, flips and 2-pixel random
/// crops, batch 128.
/// </summary>
internal static class TimeToAccuracy
{
    public static void Run(string[] args)
    {
        var target = double.Parse(Option(args, "--target", "0.93"), CultureInfo.InvariantCulture);
        var epochs = int.Parse(Option(args, "--epochs", "13"), CultureInfo.InvariantCulture);
        var started = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        var directory = new DatasetLocator().LocateAsync(MnistVariant.FashionMnist, download: false).GetAwaiter().GetResult();
        using var train = MnistDataset.Load(directory, train: true, MnistVariant.FashionMnist);
        using var test = MnistDataset.Load(directory, train: false, MnistVariant.FashionMnist);
        var augment = new Compose(new RandomHorizontalFlip(), new RandomCrop(28, padding: 2), new ToTensor(), Normalize.FashionMnist);
        var plain = new Compose(new ToTensor(), Normalize.FashionMnist);
        var trainLoader = new DataLoader(train, augment, new DataLoaderOptions { BatchSize = 128, Shuffle = true, DropLast = true, Workers = 2 });
        var testLoader = new DataLoader(test, plain, new DataLoaderOptions { BatchSize = 1000 });

        Seeding.Seed(0);
        using var model = CnnBuilder.Input(1, 28, 28)
            .ConvBlock(32, 3)
            .Residual(32)
            .Residual(64, stride: 2)
            .Residual(128, stride: 2)
            .GlobalAvgPool().Dropout(0.2).Dense(10)
            .WithWeightInit(WeightInitialization.KaimingNormal with { ZeroInitResidual = true })
            .Build();
        var reached = new ReachedTarget(target, testLoader, started);
        var trainer = Trainer.For(model)
            .UseOptimizer(OptimizerSpec.AdamW(4e-3, weightDecay: 0.05))
            .UseSchedule(LearningRateSchedule.OneCycle(pctStart: 0.25))
            .UseLoss(LossFunction.CrossEntropy(labelSmoothing: 0.1))
            .UsePrecision(Autocast.IsSupported ? Precision.Bf16 : Precision.Fp32)
            .UseChannelsLast()
            .UseSeed(0)
            .AddCallback(reached)
            .Build();
        Console.WriteLine($"recipe: {model.Summary().TotalParameters:N0} parameters, AdamW 4e-3 + OneCycle over {epochs} epochs, label smoothing 0.1, bf16, flip + crop(pad 2), batch 128, channels-last");
        trainer.Fit(trainLoader, null, epochs);
        Console.WriteLine(reached.Seconds is { } seconds
            ? $"reached {target:P1} test accuracy after {seconds:F0} s from process start (epoch {reached.Epoch})"
            : $"did not reach {target:P1} in {epochs} epochs; best {reached.Best:P2}");
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }

    /// <summary>Evaluates on the test set after each epoch and stops once the target is reached.</summary>
    private sealed class ReachedTarget(double target, DataLoader test, DateTime started) : TrainerCallback
    {
        public double? Seconds { get; private set; }

        public int Epoch { get; private set; }

        public double Best { get; private set; }

        public override void OnEpochEnd(TrainingContext context)
        {
            var accuracy = context.Trainer.Evaluate(test).Accuracy;
            Best = Math.Max(Best, accuracy);
            var elapsed = (DateTime.UtcNow - started).TotalSeconds;
            Console.WriteLine($"epoch {context.Epoch + 1}: train loss {context.EpochMetrics!.TrainLoss:F4}, test accuracy {accuracy:P2}, {elapsed:F0} s since start");
            if (accuracy >= target && Seconds is null)
            {
                (Seconds, Epoch) = (elapsed, context.Epoch + 1);
                context.StopTraining = true;
            }
        }
    }
}
