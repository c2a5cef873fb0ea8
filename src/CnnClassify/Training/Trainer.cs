using System.Diagnostics;
using CnnClassify.Data;
using CnnClassify.Interop;
using CnnClassify.Models;
using TorchSharp;
using TorchSharp.Modules;
using DataLoader = CnnClassify.Data.DataLoader;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// Trains a classifier: the loop is written once here, and everything optional (schedules,
/// mixed precision, clipping, accumulation, mixing, early stopping, checkpoints, logging) is
/// configured through <see cref="TrainerBuilder"/>. Create one with <see cref="For"/>.
/// </summary>
/// <remarks>
/// Every batch runs inside a dispose scope, so no tensor outlives its step. <see cref="Fit"/>
/// continues from <see cref="Epoch"/>, so a trainer restored with <see cref="LoadCheckpoint"/>
/// resumes where the checkpoint was taken: same learning-rate curve, same data order.
/// </remarks>
public sealed class Trainer
{
    private readonly TrainerSettings _settings;
    private readonly double[] _baseLearningRates;

    internal Trainer(TrainerSettings settings)
    {
        _settings = settings;
        Model = settings.Model;
        Device = settings.Device;
        Model.to(Device);
        var groups = settings.ParameterGroups ?? [new ParameterGroup("all", Model.TrainableParameters(), settings.Optimizer.LearningRate)];
        Optimizer = settings.Optimizer.Create(groups);
        _baseLearningRates = groups.Select(g => g.LearningRate).ToArray();
        Scaler = settings.Precision == Precision.Fp16 ? new GradScaler() : null;
    }

    /// <summary>Starts configuring a trainer for <paramref name="model"/>.</summary>
    /// <param name="model">A module mapping images [N, C, H, W] to logits [N, classes].</param>
    public static TrainerBuilder For(nn.Module<Tensor, Tensor> model) => new(model);

    /// <summary>The model being trained.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>The optimizer, over the trainable parameters or the configured groups.</summary>
    public optim.Optimizer Optimizer { get; }

    /// <summary>The device the model and batches are on.</summary>
    public Device Device { get; }

    /// <summary>The loss scaler under float16 precision, else <see langword="null"/>.</summary>
    public GradScaler? Scaler { get; }

    /// <summary>The learning-rate schedule, if any.</summary>
    public LearningRateSchedule? Schedule => _settings.Schedule;

    /// <summary>The loss.</summary>
    public LossFunction Loss => _settings.Loss;

    /// <summary>The callbacks, in the order they run.</summary>
    public IReadOnlyList<TrainerCallback> Callbacks => _settings.Callbacks;

    /// <summary>What the checkpoint records about the model.</summary>
    public CheckpointMetadata Metadata => _settings.Metadata;

    /// <summary>The metrics of every epoch trained so far.</summary>
    public History History { get; private set; } = new();

    /// <summary>The next epoch to train (the number of epochs completed).</summary>
    public int Epoch { get; private set; }

    /// <summary>Optimizer steps taken so far.</summary>
    public long GlobalStep { get; private set; }

    /// <summary>The current learning rate of each parameter group.</summary>
    public IReadOnlyList<double> LearningRates => Optimizer.ParamGroups.Select(g => g.LearningRate).ToList();

    /// <summary>Trains until <paramref name="epochs"/> epochs are complete, continuing from <see cref="Epoch"/>.</summary>
    /// <param name="train">The training batches.</param>
    /// <param name="validation">Validation batches, or <see langword="null"/>.</param>
    /// <param name="epochs">The total number of epochs, counting those already trained.</param>
    /// <param name="cancellationToken">Stops training between batches.</param>
    /// <returns>The history of every epoch.</returns>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite and the policy is to stop.</exception>
    public History Fit(DataLoader train, DataLoader? validation, int epochs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        if (validation is null && _settings.RequiresValidation is { } metric)
        {
            throw new ArgumentException($"{metric} is monitored, so Fit needs validation data.", nameof(validation));
        }

        if (train.BatchesPerEpoch == 0)
        {
            throw new ArgumentException("The training loader yields no batch; is the dataset smaller than one batch with DropLast?", nameof(train));
        }

        var stepsPerEpoch = (train.BatchesPerEpoch + _settings.AccumulationSteps - 1) / _settings.AccumulationSteps;
        _settings.Schedule?.Prepare((long)stepsPerEpoch * epochs);
        var context = new TrainingContext(this, epochs);
        Each(c => c.OnTrainBegin(context));
        try
        {
            while (Epoch < epochs && !context.StopTraining)
            {
                cancellationToken.ThrowIfCancellationRequested();
                context.Epoch = Epoch;
                var metrics = RunEpoch(train, validation, context, cancellationToken);
                _settings.Schedule?.OnEpochEnd(metrics);
                History.Add(metrics);
                Epoch++;
                context.EpochMetrics = metrics;
                Each(c => c.OnEpochEnd(context));
            }
        }
        finally
        {
            Each(c => c.OnTrainEnd(context));
        }

        return History;
    }

    /// <summary>Loss, top-1 and top-5 accuracy of a model on <paramref name="loader"/>, in evaluation mode.</summary>
    /// <param name="loader">The batches.</param>
    /// <param name="model">The model to evaluate, such as an <see cref="Ensemble"/>; <see langword="null"/> for the trained model.</param>
    public EvaluationResult Evaluate(DataLoader loader, nn.Module<Tensor, Tensor>? model = null)
    {
        ArgumentNullException.ThrowIfNull(loader);
        model ??= Model;
        var probabilities = model is Ensemble { Averaging: EnsembleAveraging.Probabilities };
        var wasTraining = model.training;
        model.eval();
        double lossSum = 0;
        long correct = 0, correctTop5 = 0, samples = 0;
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var batch in loader.Epoch())
            {
                using var scope = torch.NewDisposeScope();
                using (batch)
                {
                    var (images, labels) = (Layout(batch.Images.to(Device)), batch.Labels.to(Device));
                    Tensor output;
                    using (Autocasting())
                    {
                        output = model.call(images);
                    }

                    var loss = probabilities
                        ? nn.functional.nll_loss(output.to(ScalarType.Float32).clamp_min(1e-12).log(), labels)
                        : Loss.Compute(output, labels);
                    lossSum += loss.item<float>() * batch.Count;
                    var (top1, top5) = Correct(output, labels);
                    (correct, correctTop5, samples) = (correct + top1, correctTop5 + top5, samples + batch.Count);
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }

        return samples == 0
            ? new EvaluationResult(double.NaN, double.NaN, double.NaN, 0)
            : new EvaluationResult(lossSum / samples, (double)correct / samples, (double)correctTop5 / samples, samples);
    }

    /// <summary>Saves everything needed to resume or to predict, atomically.</summary>
    /// <param name="path">The checkpoint file; replaced whole or not at all.</param>
    public void SaveCheckpoint(string path) => Checkpoint.Save(this, path);

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/> into this trainer.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <exception cref="InvalidDataException">The file is not a checkpoint or does not fit this model.</exception>
    public void LoadCheckpoint(string path) => Checkpoint.Load(this, path);

    internal void Restore(int epoch, long globalStep, History history) => (Epoch, GlobalStep, History) = (epoch, globalStep, history);

    private EpochMetrics RunEpoch(DataLoader train, DataLoader? validation, TrainingContext context, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var epoch = Epoch;
        if (_settings.Schedule is { Interval: ScheduleInterval.Epoch } epochSchedule)
        {
            SetLearningRates(epochSchedule.Factor(epoch, GlobalStep));
        }

        Each(c => c.OnEpochBegin(context));
        Model.train();
        double lossSum = 0;
        long correct = 0, correctTop5 = 0, samples = 0;
        var accumulation = _settings.AccumulationSteps;
        var batches = train.BatchesPerEpoch;
        var window = 0;
        var windowSize = 0;
        var batchIndex = 0;
        using (torch.NewDisposeScope())
        {
            // Reading a gradient creates a tensor handle; the scope disposes those.
            Optimizer.zero_grad();
        }

        foreach (var batch in train.Epoch(epoch, cancellationToken))
        {
            using var scope = torch.NewDisposeScope();
            using (batch)
            {
                context.BatchIndex = batchIndex;
                context.Batch = batch;
                Each(c => c.OnBatchBegin(context));
                if (window == 0)
                {
                    windowSize = Math.Min(accumulation, batches - batchIndex);
                    if (_settings.Schedule is { Interval: ScheduleInterval.Step } stepSchedule)
                    {
                        SetLearningRates(stepSchedule.Factor(epoch, GlobalStep));
                    }
                }

                var (loss, logits, labels) = Forward(batch, epoch, batchIndex);
                var lossValue = loss.item<float>();
                if (!float.IsFinite(lossValue))
                {
                    if (_settings.NonFiniteLoss == NonFiniteLossPolicy.Stop)
                    {
                        throw new TrainingDivergedException(epoch, GlobalStep, batchIndex, lossValue);
                    }

                    Optimizer.zero_grad();
                    window = 0;
                    batchIndex++;
                    continue;
                }

                var scaled = loss / Math.Max(1, windowSize);
                (Scaler?.ScaleLoss(scaled) ?? scaled).backward();
                using (torch.no_grad())
                {
                    var (top1, top5) = Correct(logits, labels);
                    (correct, correctTop5) = (correct + top1, correctTop5 + top5);
                }

                lossSum += lossValue * batch.Count;
                samples += batch.Count;
                if (++window >= windowSize)
                {
                    OptimizerStep();
                    window = 0;
                    Each(c => c.OnOptimizerStep(context));
                }

                context.BatchLoss = lossValue;
                Each(c => c.OnBatchEnd(context));
                context.Batch = null;
                batchIndex++;
            }
        }

        var trainSeconds = clock.Elapsed.TotalSeconds;
        EvaluationResult? validated = null;
        if (validation is not null)
        {
            Each(c => c.OnValidationBegin(context));
            validated = Evaluate(validation);
            Each(c => c.OnValidationEnd(context));
        }

        return new EpochMetrics
        {
            Epoch = epoch,
            TrainLoss = samples == 0 ? double.NaN : lossSum / samples,
            TrainAccuracy = samples == 0 ? double.NaN : (double)correct / samples,
            TrainTop5Accuracy = samples == 0 ? double.NaN : (double)correctTop5 / samples,
            ValidationLoss = validated?.Loss,
            ValidationAccuracy = validated?.Accuracy,
            ValidationTop5Accuracy = validated?.Top5Accuracy,
            LearningRate = Optimizer.ParamGroups.First().LearningRate,
            Seconds = clock.Elapsed.TotalSeconds,
            SamplesPerSecond = samples / Math.Max(trainSeconds, 1e-9),
        };
    }

    private (Tensor Loss, Tensor Logits, Tensor Labels) Forward(Batch batch, int epoch, int batchIndex)
    {
        var images = batch.Images.to(Device);
        var labels = batch.Labels.to(Device);
        Tensor? otherLabels = null;
        var lambda = 1.0;
        if (_settings.Mixer is { } mixer)
        {
            (images, otherLabels, lambda) = mixer.Mix(images, labels, Seeding.For(_settings.Seed, epoch, batchIndex));
        }

        Tensor logits;
        images = Layout(images);
        using (Autocasting())
        {
            logits = Model.call(images);
        }

        var loss = otherLabels is null || lambda >= 1
            ? Loss.Compute(logits, labels)
            : Loss.ComputeMixed(logits, labels, otherLabels, lambda);
        return (loss, logits, lambda >= 0.5 || otherLabels is null ? labels : otherLabels);
    }

    private void OptimizerStep()
    {
        var parameters = Optimizer.ParamGroups.Cast<ParamGroup>().SelectMany(g => g.Parameters).ToList();
        if (_settings.ClipNorm is not null || _settings.ClipValue is not null)
        {
            Scaler?.Unscale(Optimizer);
            if (_settings.ClipNorm is { } norm)
            {
                nn.utils.clip_grad_norm_(parameters, norm);
            }

            if (_settings.ClipValue is { } value)
            {
                nn.utils.clip_grad_value_(parameters, value);
            }
        }

        if (Scaler is { } scaler)
        {
            scaler.Step(Optimizer);
            scaler.Update();
        }
        else
        {
            Optimizer.step();
        }

        Optimizer.zero_grad();
        GlobalStep++;
    }

    private void SetLearningRates(double factor)
    {
        var groups = Optimizer.ParamGroups.ToList();
        for (var i = 0; i < groups.Count; i++)
        {
            groups[i].LearningRate = _baseLearningRates[i] * factor;
        }
    }

    private Tensor Layout(Tensor images) => _settings.ChannelsLast && images.dim() == 4 ? images.ToChannelsLast() : images;

    private Autocast? Autocasting() => _settings.Precision switch
    {
        Precision.Bf16 => Autocast.Enable(Device, ScalarType.BFloat16),
        Precision.Fp16 => Autocast.Enable(Device, ScalarType.Float16),
        _ => null,
    };

    private static (long Top1, long Top5) Correct(Tensor logits, Tensor labels)
    {
        using var scope = torch.NewDisposeScope();
        var k = Math.Min(5, logits.shape[^1]);
        var top = logits.topk((int)k, dim: 1).indexes;
        var hits = top.eq(labels.unsqueeze(1));
        return (hits.narrow(1, 0, 1).sum().item<long>(), hits.any(1).sum().item<long>());
    }

    private void Each(Action<TrainerCallback> action)
    {
        foreach (var callback in _settings.Callbacks)
        {
            action(callback);
        }
    }
}
