using System.Diagnostics;
using CnnClassify.Data;
using CnnClassify.Models;
using CnnClassify.Native;
using CnnClassify.Runtime;
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
public sealed partial class Trainer
{
    private readonly TrainerSettings _settings;
    private readonly List<double> _baseLearningRates;
    private double _learningRateFactor = 1;
    private bool _inputShapeChecked;
    private readonly PrecisionPolicy _precision;
    private readonly Func<Tensor, IReadOnlyList<WeightedOutput>> _trainingOutputs;
    private readonly TrainingStrategy _strategy;

    internal Trainer(TrainerSettings settings)
    {
        _settings = settings;
        LibTorchSetup.Ensure();
        if (settings.ReuseNativeMemory)
        {
            NativeMemoryReuse.Apply();
        }

        Model = settings.Model;
        Device = settings.Device;
        Model.to(Device);
        if (settings.ChannelsLast)
        {
            // Before the optimizer exists, so its state takes the parameters' order from the start.
            Model.ToChannelsLast();
        }

        var groups = settings.ParameterGroups ?? [new ParameterGroup("all", Model.TrainableParameters(), settings.Optimizer.LearningRate)];
        Optimizer = settings.Optimizer.Create(groups);
        _baseLearningRates = groups.Select(g => g.LearningRate).ToList();
        LogPrecision(settings.Logger, settings.PrecisionChoice);
        if (settings.PrecisionChoice.Warning is { } warning)
        {
            LogSlowPrecision(settings.Logger, warning);
        }

        _strategy = settings.Strategy;
        _trainingOutputs = settings.Forward is ClassificationModel classifier ? classifier.TrainingOutputs : inputs => [new(settings.Forward.call(inputs), 1.0)];
        _precision = LossScalingPolicy.For(settings.Precision, Device, _strategy);
        Configuration = settings.Configuration ?? (Model as ClassificationModel)?.Configuration ?? new ModelConfiguration { NumClasses = 1 };
        Task = settings.Task;
    }

    /// <summary>Starts configuring a trainer for <paramref name="model"/>.</summary>
    /// <param name="model">A module mapping images [N, C, H, W] to logits [N, classes].</param>
    public static TrainerBuilder For(nn.Module<Tensor, Tensor> model) => new(model);

    /// <summary>The precision the forward pass runs in, and why it was chosen (<see cref="Precision.Auto"/> resolved).</summary>
    public PrecisionChoice PrecisionChoice => _settings.PrecisionChoice;

    /// <summary>The model being trained.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>The optimizer, over the trainable parameters or the configured groups.</summary>
    public optim.Optimizer Optimizer { get; }

    /// <summary>The device the model and batches are on.</summary>
    public Device Device { get; }

    /// <summary>The loss scaler under float16 precision, else <see langword="null"/>.</summary>
    public GradScaler? Scaler => (_precision as LossScalingPolicy)?.Scaler;

    /// <summary>The learning-rate schedule, if any.</summary>
    public LearningRateSchedule? Schedule => _settings.Schedule;

    /// <summary>The loss.</summary>
    public LossFunction Loss => _settings.Loss;

    /// <summary>What the model is trained for (from its <see cref="ModelConfiguration.Task"/>): the default loss, the metrics and how mixed targets count.</summary>
    public ClassificationTask Task { get; private set; }

    /// <summary>The callbacks, in the order they run.</summary>
    public IReadOnlyList<TrainerCallback> Callbacks => _settings.Callbacks;

    /// <summary>
    /// What checkpoints record about the model: its <see cref="ClassificationModel.Configuration"/>,
    /// completed by <see cref="Fit"/> with the training data's class names and nothing else: the
    /// input size and preprocessing come from the model (its builder, zoo entry or weights), never
    /// from the transforms or the batches. A first batch of another size is logged as a warning. A
    /// configuration given with <see cref="TrainerBuilder.WithConfiguration"/> is used as it is.
    /// </summary>
    public ModelConfiguration Configuration { get; private set; }

    /// <summary>How validation runs the model: the trainer's precision and memory layout.</summary>
    public InferenceOptions InferenceOptions => new() { Precision = _settings.Precision, ChannelsLast = _settings.ChannelsLast };

    /// <summary>The settings the builder made, for reports.</summary>
    internal TrainerSettings Settings => _settings;

    /// <summary>Where the trainer and its callbacks log (<see cref="TrainerBuilder.UseLogger"/>).</summary>
    public Microsoft.Extensions.Logging.ILogger Logger => _settings.Logger;

    /// <summary>The metrics of every epoch trained so far.</summary>
    public History History { get; private set; } = new();

    /// <summary>This process's index among the processes of the run: 0 when it runs alone.</summary>
    public int Rank => _strategy.Rank;

    /// <summary>How many processes share the run: 1 when it runs alone.</summary>
    public int ProcessCount => _strategy.ProcessCount;

    /// <summary>Whether this process writes files: always, except on ranks other than 0 of a data-parallel run.</summary>
    public bool IsMainProcess => _strategy.IsMainProcess;

    /// <summary>The next epoch to train (the number of epochs completed).</summary>
    public int Epoch { get; private set; }

    /// <summary>Optimizer steps taken so far.</summary>
    public long GlobalStep { get; private set; }

    /// <summary>Each parameter group's base learning rate, which the schedule scales.</summary>
    public IReadOnlyList<double> BaseLearningRates => _baseLearningRates;

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

        return _strategy.Run(this, train, () => Describe(train, validation), () => Train(train, validation, epochs, cancellationToken));
    }

    /// <summary>
    /// Loss, top-1 and top-5 accuracy of a model on <paramref name="loader"/>, in evaluation mode,
    /// with the trainer's precision and memory layout. An empty loader gives NaN metrics and 0 samples.
    /// </summary>
    /// <param name="loader">The batches.</param>
    /// <param name="model">The model to evaluate, such as an <see cref="Ensemble"/>; <see langword="null"/> for the trained model.</param>
    public EvaluationResult Evaluate(DataLoader loader, nn.Module<Tensor, Tensor>? model = null)
    {
        ArgumentNullException.ThrowIfNull(loader);
        model ??= _settings.Forward;
        var probabilities = ModelRunner.OutputsProbabilities(model);
        double lossSum = 0;
        var metrics = Task.CreateMetrics();
        ModelRunner.Evaluate(model, Task, loader, Device, InferenceOptions, (batch, labels, outputs, probs) =>
        {
            var loss = probabilities ? Task.ProbabilityLoss(probs, labels) : Loss.Compute(outputs, labels);
            lossSum += loss.item<float>() * batch.Count;
            metrics.Add(probs, labels);
        });
        var samples = metrics.Samples;
        return samples == 0
            ? new EvaluationResult(double.NaN, double.NaN, double.NaN, 0) { Metrics = metrics }
            : new EvaluationResult(lossSum / samples, metrics.Accuracy, metrics.Top5Accuracy ?? double.NaN, samples) { Metrics = metrics };
    }

    /// <summary>
    /// Adds a parameter group to the running optimizer, as fine-tuning does when it unfreezes a
    /// stage: optimizer state, history and schedule carry on, and the schedule scales the group's
    /// rate like the others' from this step on.
    /// </summary>
    /// <param name="group">Parameters not yet in the optimizer, with their base learning rate.</param>
    /// <exception cref="ArgumentException">The group is empty, or holds a parameter the optimizer already has.</exception>
    public void AddParameterGroup(ParameterGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var known = Optimizer.ParamGroups.Cast<ParamGroup>().SelectMany(g => g.Parameters).Select(p => p.Handle).ToHashSet();
        if (group.Parameters.Any(p => known.Contains(p.Handle)))
        {
            throw new ArgumentException($"Parameter group '{group.Name}' holds parameters the optimizer already updates.", nameof(group));
        }

        _settings.Optimizer.AddGroup(Optimizer, group with { LearningRate = group.LearningRate * _learningRateFactor });
        _baseLearningRates.Add(group.LearningRate);
    }

    /// <summary>Saves everything needed to resume or to predict, atomically.</summary>
    /// <param name="path">The checkpoint file; replaced whole or not at all.</param>
    public void SaveCheckpoint(string path) => Checkpoint.Save(this, path);

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/> into this trainer.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <exception cref="InvalidDataException">The file is not a checkpoint or does not fit this model.</exception>
    public void LoadCheckpoint(string path) => Checkpoint.Load(this, path);

    internal void Restore(int epoch, long globalStep, History history) => (Epoch, GlobalStep, History) = (epoch, globalStep, history);

    private History Train(DataLoader train, DataLoader? validation, int epochs, CancellationToken cancellationToken)
    {
        var stepsPerEpoch = (train.BatchesPerEpoch + _settings.AccumulationSteps - 1) / _settings.AccumulationSteps;
        _settings.Schedule?.Prepare((long)stepsPerEpoch * epochs);
        var context = new TrainingContext(this, epochs, train.BatchesPerEpoch);
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

        if (context.StopTraining)
        {
            LogStopped(Logger, Epoch, context.StopReason ?? "a callback asked to stop");
        }

        return History;
    }

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
        var metrics = Task.CreateTrainingMetrics();
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
                if (batchIndex == 0)
                {
                    CheckInputShape(batch.Images);
                }

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

                var forward = context.SkipBatch ? null : Forward(batch, context);

                // Every process skips or stops together, or the others wait at the next meeting point.
                if (_strategy.Any(forward is null))
                {
                    Optimizer.zero_grad();
                    window = 0;
                    batchIndex++;
                    EndBatch(context);
                    continue;
                }

                var (loss, logits, labels) = forward!.Value;
                var lossValue = loss.item<float>();
                var nonFinite = _strategy.Any(!float.IsFinite(lossValue));

                if (nonFinite)
                {
                    if (_settings.NonFiniteLoss == NonFiniteLossPolicy.Stop)
                    {
                        throw new TrainingDivergedException(epoch, GlobalStep, batchIndex, lossValue);
                    }

                    LogNonFiniteBatch(Logger, epoch + 1, batchIndex, lossValue);
                    Optimizer.zero_grad();
                    window = 0;
                    batchIndex++;
                    EndBatch(context);
                    continue;
                }

                using var divisor = Math.Max(1, windowSize).ToScalar();
                var scaled = loss.div(divisor);
                _precision.Backward(scaled);
                metrics.Add(Task.Activate(logits), labels);
                lossSum += lossValue * batch.Count;
                if (++window >= windowSize)
                {
                    OptimizerStep();
                    window = 0;
                    Each(c => c.OnOptimizerStep(context));
                }

                context.BatchLoss = lossValue;
                Each(c => c.OnBatchEnd(context));
                EndBatch(context);
                batchIndex++;
            }
        }

        var trainSeconds = clock.Elapsed.TotalSeconds;

        // Every process leaves the epoch with the same weights, statistics and metrics, so decisions agree.
        lossSum = _strategy.EndEpoch(Model, lossSum, metrics);
        var samples = metrics.Samples;

        EvaluationResult? validated = null;
        if (validation is not null)
        {
            Each(c => c.OnValidationBegin(context));
            validated = Evaluate(validation);
            context.ValidationMetrics = validated.Metrics;
            Each(c => c.OnValidationEnd(context));
        }

        return new EpochMetrics
        {
            Epoch = epoch,
            TrainLoss = samples == 0 ? double.NaN : lossSum / samples,
            TrainAccuracy = metrics.Accuracy,
            TrainTop5Accuracy = metrics.Top5Accuracy ?? double.NaN,
            ValidationLoss = validated?.Loss,
            ValidationAccuracy = validated?.Accuracy,
            ValidationTop5Accuracy = validated?.Top5Accuracy,
            ValidationMeanAveragePrecision = validated?.Metrics?.MeanAveragePrecision,
            ValidationValues = validated?.Metrics?.Values is { Count: > 0 } values ? values : null,
            LearningRate = Optimizer.ParamGroups.First().LearningRate,
            Seconds = clock.Elapsed.TotalSeconds,
            SamplesPerSecond = samples / Math.Max(trainSeconds, 1e-9),
        };
    }

    // The batch's forward pass and loss, with the callbacks that act on them: they may replace
    // the inputs and targets before it (MixUp) and the loss and metric targets after it.
    // It is null when a callback skips the batch.
    private (Tensor Loss, Tensor Logits, Tensor Labels)? Forward(Batch batch, TrainingContext context)
    {
        context.Inputs = batch.Images.to(Device);
        context.Targets = batch.Labels.to(Device);
        context.ComputeLoss = null;
        Each(c => c.OnForwardBegin(context));
        if (context.SkipBatch)
        {
            return null;
        }

        IReadOnlyList<WeightedOutput> outputs;
        using (_precision.Autocast())
        {
            outputs = _trainingOutputs(Layout(context.Inputs));
        }

        var computeLoss = context.ComputeLoss ?? (logits => Loss.Compute(logits, context.Targets!));
        var loss = computeLoss(outputs[0].Outputs);
        if (outputs[0].LossWeight != 1)
        {
            using var weight = outputs[0].LossWeight.ToScalar();
            loss = loss.mul(weight);
        }

        foreach (var (extra, lossWeight) in outputs.Skip(1))
        {
            using var weight = lossWeight.ToScalar();
            loss = loss.add(computeLoss(extra), weight);
        }

        var logits = outputs[0].Outputs;
        context.Outputs = logits;
        context.Loss = loss;
        Each(c => c.OnLoss(context));
        return context.SkipBatch ? null : (context.Loss, logits, context.Targets);
    }

    private static void EndBatch(TrainingContext context)
    {
        (context.Batch, context.Inputs, context.Targets, context.Outputs, context.Loss, context.ComputeLoss) = (null, null, null, null, null, null);
        context.SkipBatch = false;
    }

    private void OptimizerStep()
    {
        ApplyGradients();
        GlobalStep++;
    }

    // Reduces (across processes), clips and applies the gradients, then clears them.
    private void ApplyGradients()
    {
        var parameters = Optimizer.ParamGroups.Cast<ParamGroup>().SelectMany(g => g.Parameters).ToList();
        _strategy.ReduceGradients(parameters);
        if (_settings.ClipNorm is not null || _settings.ClipValue is not null)
        {
            _precision.Unscale(Optimizer);
            if (_settings.ClipNorm is { } norm)
            {
                nn.utils.clip_grad_norm_(parameters, norm);
            }

            if (_settings.ClipValue is { } value)
            {
                nn.utils.clip_grad_value_(parameters, value);
            }
        }

        _precision.Step(Optimizer);
        Optimizer.zero_grad();
    }

    private void SetLearningRates(double factor)
    {
        _learningRateFactor = factor;
        var groups = Optimizer.ParamGroups.ToList();
        for (var i = 0; i < groups.Count; i++)
        {
            groups[i].LearningRate = _baseLearningRates[i] * factor;
        }
    }

    private Tensor Layout(Tensor images) => _settings.ChannelsLast && images.dim() == 4 ? images.ToChannelsLast() : images;

    private void Describe(DataLoader train, DataLoader? validation)
    {
        var classes = train.Dataset.Classes;
        if (validation is not null && !validation.Dataset.Classes.SequenceEqual(classes))
        {
            throw new ArgumentException($"The training and validation data have different classes: training [{string.Join(", ", classes)}], validation [{string.Join(", ", validation.Dataset.Classes)}].", nameof(validation));
        }

        if (_settings.Configuration is not null)
        {
            return;
        }

        var configuration = Configuration;
        if (Model is ClassificationModel classifier)
        {
            if (classes.Count != classifier.NumClasses)
            {
                throw new ArgumentException($"The model predicts {classifier.NumClasses} classes but the training data has {classes.Count} ([{string.Join(", ", classes.Take(10))}{(classes.Count > 10 ? ", ..." : "")}]); create the model with numClasses: {classes.Count} or call ReplaceHead({classes.Count}).", nameof(train));
            }

            configuration = classifier.Configuration;
        }

        // The description comes from the model (builder, zoo or weights) or WithConfiguration; the
        // data adds only its class names. Nothing is read back from the transforms or the batches.
        SetConfiguration(configuration with { NumClasses = classes.Count, ClassNames = classes });
    }

    // A check, not a source: a first batch whose size differs from the model's description means the
    // predictors would prepare images differently from the training data, so it is said once.
    private void CheckInputShape(Tensor images)
    {
        if (_inputShapeChecked || images.dim() != 4)
        {
            return;
        }

        _inputShapeChecked = true;
        var (channels, height, width) = ((int)images.shape[1], (int)images.shape[2], (int)images.shape[3]);
        var configuration = Configuration;
        if (configuration.InChannels != channels || configuration.InputHeight != height || configuration.InputWidth != width)
        {
            LogDescriptionMismatch(Logger, channels, height, width, configuration.InChannels, configuration.InputHeight, configuration.InputWidth);
        }
    }

    /// <summary>
    /// Gives a multi-label model new decision thresholds: they go into its description (and so into
    /// the checkpoints written from now on) and into the task the metrics count with.
    /// </summary>
    /// <param name="thresholds">One probability per class.</param>
    /// <exception cref="ArgumentException">The count differs from the classes, or a threshold is not in [0, 1].</exception>
    internal void SetThresholds(IReadOnlyList<double> thresholds)
    {
        if (Inference.TaskNames.CheckThresholds(thresholds, Configuration.NumClasses) is { } problem)
        {
            throw new ArgumentException($"The thresholds do not fit the model: {problem}.", nameof(thresholds));
        }

        SetConfiguration(Configuration with { Thresholds = [.. thresholds] });
        Task = ClassificationTask.For(Configuration);
    }

    private void SetConfiguration(ModelConfiguration configuration)
    {
        if (Model is ClassificationModel classifier)
        {
            classifier.Configuration = configuration;
            Configuration = classifier.Configuration;
        }
        else
        {
            Configuration = configuration;
        }
    }

    private void Each(Action<TrainerCallback> action)
    {
        foreach (var callback in _settings.Callbacks)
        {
            action(callback);
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "the training batches are {Channels}x{Height}x{Width} but the model's description says {DescribedChannels}x{DescribedHeight}x{DescribedWidth}, which checkpoints and predictors will use; build the transforms from model.Configuration (EvalTransform) or describe the input with TrainerBuilder.WithConfiguration")]
    private static partial void LogDescriptionMismatch(Microsoft.Extensions.Logging.ILogger logger, int channels, int height, int width, int describedChannels, int describedHeight, int describedWidth);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "epoch {Epoch}, batch {Batch}: the loss is {Loss}; the batch is skipped")]
    private static partial void LogNonFiniteBatch(Microsoft.Extensions.Logging.ILogger logger, int epoch, int batch, float loss);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "training stopped after epoch {Epoch}: {Reason}")]
    private static partial void LogStopped(Microsoft.Extensions.Logging.ILogger logger, int epoch, string reason);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "precision {Choice}")]
    private static partial void LogPrecision(Microsoft.Extensions.Logging.ILogger logger, PrecisionChoice choice);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "{Warning}")]
    private static partial void LogSlowPrecision(Microsoft.Extensions.Logging.ILogger logger, string warning);
}
