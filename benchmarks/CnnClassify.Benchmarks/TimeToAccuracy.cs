using System.Diagnostics;
using System.Globalization;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Layers;
using CnnClassify.Models;
using CnnClassify.Runtime;
using CnnClassify.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Benchmarks;

/// <summary>
/// Wall-clock time from process start until Fashion-MNIST test accuracy reaches a target
/// (default 93 %). The default recipe: a residual "pyramid" from the builder (the resolution
/// halves and the channels double at every block), AdamW with a 12-epoch OneCycle, label
/// smoothing 0.1, float32, a channels-last model, flips and 2-pixel random crops on whole
/// batches, batch 256, trained on the first 54,000 training images, and evaluated with each
/// image and its mirror image averaged. With <c>--validation</c> it evaluates every epoch on the
/// other 6,000 training images and never reads the test set: that is how the recipe was chosen.
/// The timed run evaluates the test set from epoch 7 on.
/// </summary>
internal static class TimeToAccuracy
{
    private const int TrainCount = 54_000;

    public static void Run(string[] args)
    {
        var target = double.Parse(Arguments.Option(args, "--target", "0.93"), CultureInfo.InvariantCulture);
        var epochs = int.Parse(Arguments.Option(args, "--epochs", "12"), CultureInfo.InvariantCulture);
        var batch = int.Parse(Arguments.Option(args, "--batch-size", "256"), CultureInfo.InvariantCulture);
        var rate = double.Parse(Arguments.Option(args, "--lr", "6e-3"), CultureInfo.InvariantCulture);
        var width = int.Parse(Arguments.Option(args, "--width", "32"), CultureInfo.InvariantCulture);
        var validation = args.Contains("--validation");
        var channelsLast = Arguments.Option(args, "--layout", "channels-last") == "channels-last";
        // The validation runs that chose the recipe evaluated every epoch; the timed run skips the
        // early epochs, which cannot reach the target, unless told otherwise.
        var evaluateFrom = int.Parse(Arguments.Option(args, "--evaluate-from", validation ? "1" : (epochs - 3).ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        var trainCount = int.Parse(Arguments.Option(args, "--train-count", TrainCount.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        var flipAtTest = !args.Contains("--no-tta");
        var precision = Arguments.Option(args, "--precision", "fp32") == "bf16" && Autocast.IsSupported ? Precision.Bf16 : Precision.Fp32;
        var started = Process.GetCurrentProcess().StartTime.ToUniversalTime();

        var directory = new DatasetLocator().LocateAsync(MnistVariant.FashionMnist, download: false).GetAwaiter().GetResult();
        using var all = MnistDataset.Load(directory, train: true, MnistVariant.FashionMnist);
        using var test = MnistDataset.Load(directory, train: false, MnistVariant.FashionMnist);
        var train = new Subset(all, Enumerable.Range(0, Math.Min(trainCount, TrainCount)));
        IImageDataset evaluated = validation ? new Subset(all, Enumerable.Range(TrainCount, all.Count - TrainCount)) : test;
        var augment = new Compose(new RandomCrop(28, padding: 2), new RandomHorizontalFlip(), new ToTensor(), Normalize.FashionMnist);
        var plain = new Compose(new ToTensor(), Normalize.FashionMnist);
        var trainLoader = new DataLoader(train, augment, new DataLoaderOptions { BatchSize = batch, Shuffle = true, DropLast = true });
        var evaluationLoader = new DataLoader(evaluated, plain, new DataLoaderOptions { BatchSize = 1000 });

        Seeding.Seed(0);
        using var model = Architecture(Arguments.Option(args, "--model", "pyramid"), width)
            .WithWeightInit(WeightInitialization.KaimingNormal with { ZeroInitResidual = true })
            .Build();
        // Lives as long as the process: disposing an ensemble would dispose its members.
        var flipAveraged = flipAtTest ? new Ensemble([model, new Mirrored(model)]) : null;
        var reached = new ReachedTarget(target, evaluationLoader, started, validation ? "validation" : "test", flipAveraged, evaluateFrom);
        var trainer = Trainer.For(model)
            .UseOptimizer(OptimizerSpec.AdamW(rate, weightDecay: 0.05))
            .UseSchedule(LearningRateSchedule.OneCycle(pctStart: 0.25))
            .UseLoss(LossFunction.CrossEntropy(labelSmoothing: 0.1))
            .UsePrecision(precision)
            .UseChannelsLast(channelsLast)
            .UseSeed(0)
            .AddCallback(reached)
            .Build();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"recipe: {Arguments.Option(args, "--model", "pyramid")}, {model.Summary().TotalParameters:N0} parameters (width {width}), AdamW {rate} + OneCycle over {epochs} epochs, label smoothing 0.1, {precision}, {(channelsLast ? "channels-last" : "standard layout")}, crop(pad 2) + flip, batch {batch}, {(flipAtTest ? "flip averaging at evaluation, " : "")}{torch.get_num_threads()} threads; evaluating on {(validation ? "the 6,000 held-out training images" : "the test set")}"));
        trainer.Fit(trainLoader, null, epochs);
        Console.WriteLine(reached.Seconds is { } seconds
            ? $"reached {target:P1} {reached.Set} accuracy after {seconds:F0} s from process start (epoch {reached.Epoch})"
            : $"did not reach {target:P1} in {epochs} epochs; best {reached.Best:P2}");
    }

    /// <summary>
    /// "resnet": a stem and a residual block at 28x28, then 14x14 and 7x7 (width, 2x, 4x channels).
    /// "pyramid": a narrow stem at 28x28, then residual blocks that halve the resolution each time
    /// while doubling the channels (2x width at 14x14 up to 16x width at 2x2), so most weights sit
    /// where the maps are small and the compute per image is about a third.
    /// </summary>
    internal static CnnBuilder Architecture(string name, int width) => name switch
    {
        "resnet" => CnnBuilder.Input(1, 28, 28).ConvBlock(width, 3).Residual(width).Residual(2 * width, stride: 2).Residual(4 * width, stride: 2).GlobalAvgPool().Dropout(0.2).Dense(10),
        "pyramid" => CnnBuilder.Input(1, 28, 28).ConvBlock(width / 2, 3).Residual(width, stride: 2).Residual(2 * width, stride: 2).Residual(4 * width, stride: 2).Residual(8 * width, stride: 2).GlobalAvgPool().Dropout(0.2).Dense(10),
        _ => throw new ArgumentException($"--model must be resnet or pyramid, not '{name}'."),
    };


    /// <summary>Evaluates after each epoch and stops once the target is reached.</summary>
    /// <param name="flipAveraged">The model averaged with itself on mirrored images, to evaluate instead; <see langword="null"/> for the model alone.</param>
    /// <param name="evaluateFrom">The first epoch (from 1) to evaluate; earlier ones print their training figures only.</param>
    private sealed class ReachedTarget(double target, DataLoader evaluation, DateTime started, string set, nn.Module<Tensor, Tensor>? flipAveraged, int evaluateFrom) : TrainerCallback
    {
        public double? Seconds { get; private set; }

        public int Epoch { get; private set; }

        public double Best { get; private set; }

        public string Set => set;

        public override void OnEpochEnd(TrainingContext context)
        {
            var m = context.EpochMetrics!;
            if (context.Epoch + 1 < evaluateFrom)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {context.Epoch + 1}: train loss {m.TrainLoss:F4}, {m.SamplesPerSecond:F0} images/s, {m.Seconds:F1} s, {(DateTime.UtcNow - started).TotalSeconds:F0} s since start"));
                return;
            }

            var accuracy = context.Trainer.Evaluate(evaluation, flipAveraged).Accuracy;
            Best = Math.Max(Best, accuracy);
            var elapsed = (DateTime.UtcNow - started).TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {context.Epoch + 1}: train loss {m.TrainLoss:F4}, {set} accuracy {accuracy:P2}, {m.SamplesPerSecond:F0} images/s, {m.Seconds:F1} s, {elapsed:F0} s since start"));
            if (accuracy >= target && Seconds is null)
            {
                (Seconds, Epoch) = (elapsed, context.Epoch + 1);
                context.StopTraining = true;
            }
        }

    }

    /// <summary>A model that sees each image mirrored left to right.</summary>
    private sealed class Mirrored : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> _model;

        public Mirrored(nn.Module<Tensor, Tensor> model)
            : base(nameof(Mirrored)) => _model = model;

        public override Tensor forward(Tensor input)
        {
            using var flipped = input.flip(3);
            return _model.call(flipped);
        }
    }
}
