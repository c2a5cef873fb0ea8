using CnnClassify.Models;
using CnnClassify.Native;
using CnnClassify.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// Collects a <see cref="Trainer"/>'s options and validates them in <see cref="Build"/>.
/// Defaults: Adam at 1e-3, cross-entropy, no schedule, float32, CUDA when available else CPU.
/// <code>
/// var trainer = Trainer.For(model)
///     .UseOptimizer(OptimizerSpec.AdamW(1e-3))
///     .UseSchedule(LearningRateSchedule.OneCycle())
///     .UsePrecision(Precision.Bf16)
///     .ClipGradientNorm(1.0)
///     .AddCallback(new EarlyStopping(patience: 5))
///     .Build();
/// var history = trainer.Fit(trainLoader, validationLoader, epochs: 10);
/// </code>
/// </summary>
public sealed class TrainerBuilder
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly List<TrainerCallback> _callbacks = [];
    private OptimizerSpec _optimizer = OptimizerSpec.Adam();
    private IReadOnlyList<ParameterGroup>? _groups;
    private LossFunction? _loss;
    private LearningRateSchedule? _schedule;
    private Precision _precision;
    private double? _clipNorm;
    private double? _clipValue;
    private int _accumulation = 1;
    private NonFiniteLossPolicy _nonFinite;
    private Device? _device;
    private int? _threads;
    private bool? _tf32;
    private bool _channelsLast;
    private bool _cachedFeatures;
    private bool _reuseNativeMemory = true;
    private Microsoft.Extensions.Logging.ILogger? _logger;
    private int? _seed;
    private ModelConfiguration? _configuration;
    private Func<TrainingStrategy> _strategy = () => TrainingStrategy.SingleProcess.Instance;

    internal TrainerBuilder(nn.Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
    }

    /// <summary>Sets the optimizer algorithm and its default learning rate.</summary>
    /// <param name="optimizer">Such as <c>OptimizerSpec.Sgd(0.1, momentum: 0.9, nesterov: true)</c>.</param>
    public TrainerBuilder UseOptimizer(OptimizerSpec optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        _optimizer = optimizer;
        return this;
    }

    /// <summary>Trains these parameter groups, each with its own learning rate, instead of all trainable parameters.</summary>
    /// <param name="groups">Such as the result of <see cref="FineTuning.ParameterGroups"/>.</param>
    public TrainerBuilder UseParameterGroups(IReadOnlyList<ParameterGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _groups = groups;
        return this;
    }

    /// <summary>Sets the loss; without it the model's task chooses (<see cref="ClassificationTask.DefaultLoss"/>: cross-entropy for single-label).</summary>
    /// <param name="loss">Such as <c>LossFunction.CrossEntropy(labelSmoothing: 0.1)</c>.</param>
    public TrainerBuilder UseLoss(LossFunction loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        _loss = loss;
        return this;
    }

    /// <summary>Sets the learning-rate schedule; it is stepped per batch or per epoch as it declares.</summary>
    /// <param name="schedule">Such as <c>LearningRateSchedule.ReduceOnPlateau()</c>.</param>
    public TrainerBuilder UseSchedule(LearningRateSchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        _schedule = schedule;
        return this;
    }

    /// <summary>
    /// Sets the forward-pass precision: float32 (the default), bf16 autocast, fp16 autocast with
    /// loss scaling, or <see cref="Precision.Auto"/>, which <see cref="Build"/> resolves from the
    /// device and the CPU (<see cref="PrecisionChoice"/>). An explicit bf16 on a CPU without native
    /// bf16 still runs, after a warning through the trainer's logger.
    /// </summary>
    /// <param name="precision">The precision.</param>
    public TrainerBuilder UsePrecision(Precision precision)
    {
        _precision = precision;
        return this;
    }

    /// <summary>
    /// Trains in the channels-last memory layout, as PyTorch's <c>channels_last</c>: the model's
    /// four-dimensional weights and buffers are stored that way when the trainer is built
    /// (<see cref="Native.ChannelsLastExtensions.ToChannelsLast{T}(T)"/>), and so are the batches,
    /// in training and in <see cref="Trainer.Evaluate"/>. Activations then stay channels-last
    /// through the network; values are unchanged, the fused Adam runs on the reordered weights, and
    /// checkpoints and safetensors files are written in PyTorch's standard order, so PyTorch loads
    /// them as usual and resuming restores the layout (TorchSharp's own <c>Module.save</c> refuses
    /// non-contiguous tensors; use <c>SaveSafetensors</c> or a checkpoint). Whether it is faster depends on the model
    /// and the precision: measure your own (docs/benchmarks.md). A custom model that calls
    /// <c>view</c> on convolution outputs must use <c>reshape</c> or <c>flatten</c> instead.
    /// </summary>
    /// <param name="enabled">Whether to train channels-last.</param>
    public TrainerBuilder UseChannelsLast(bool enabled = true)
    {
        _channelsLast = enabled;
        return this;
    }

    /// <summary>
    /// Whether the process keeps the native memory LibTorch frees, so that each step's tensors
    /// reuse the last step's pages instead of faulting in fresh ones from the kernel (on by
    /// default; Linux with glibc, where it sets <c>mallopt</c>'s trim and mmap thresholds to their
    /// largest values, so that freed blocks stay in the heap as a caching allocator keeps them).
    /// ResNet-18 at 224x224 in batches of 64 took 5.6–6.1 million page faults per epoch of 324
    /// images without it and 0.8 million with it, and trained at 17–18 images/s instead of 14
    /// (docs/benchmarks.md).
    /// The setting is process-wide and stays once made: resident memory then stays near the
    /// training peak instead of shrinking between steps.
    /// </summary>
    /// <param name="enabled">Whether to apply it when the trainer is built.</param>
    public TrainerBuilder UseNativeMemoryReuse(bool enabled = true)
    {
        _reuseNativeMemory = enabled;
        return this;
    }

    /// <summary>
    /// Sends the trainer's messages (one information line per epoch from
    /// <see cref="ProgressReporter"/>, skipped non-finite batches as warnings, early stops,
    /// data-parallel failures as errors) to <paramref name="logger"/>; without it they go to
    /// <see cref="CnnClassifyLogging.LoggerFactory"/>.
    /// </summary>
    /// <param name="logger">The logger.</param>
    public TrainerBuilder UseLogger(Microsoft.Extensions.Logging.ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        return this;
    }

    /// <summary>
    /// Reports <see cref="TrainingProgress"/> to <paramref name="progress"/> after every batch and
    /// epoch (adds a <see cref="ProgressReporter"/>).
    /// </summary>
    /// <param name="progress">The receiver; called on the training thread.</param>
    public TrainerBuilder ReportProgress(IProgress<TrainingProgress> progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return AddCallback(new ProgressReporter(progress));
    }

    /// <summary>
    /// Shows a live progress bar (epoch, loss, images per second, time left) in the terminal and
    /// a line per epoch; only the lines when output is redirected (<see cref="ConsoleProgress"/>).
    /// </summary>
    /// <param name="output">Where to write; <see langword="null"/> for standard output.</param>
    /// <param name="style">Bar, lines, or decide from the output.</param>
    public TrainerBuilder ShowProgress(TextWriter? output = null, ConsoleProgressStyle style = ConsoleProgressStyle.Auto) =>
        ReportProgress(new ConsoleProgress(output, style));

    /// <summary>Clips the global L2 norm of the gradients before each step.</summary>
    /// <param name="maxNorm">The largest norm, above 0.</param>
    public TrainerBuilder ClipGradientNorm(double maxNorm)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNorm);
        _clipNorm = maxNorm;
        return this;
    }

    /// <summary>Clips each gradient element to [-value, value] before each step.</summary>
    /// <param name="value">The largest magnitude, above 0.</param>
    public TrainerBuilder ClipGradientValue(double value)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
        _clipValue = value;
        return this;
    }

    /// <summary>Accumulates gradients over <paramref name="steps"/> batches per optimizer step, dividing the loss to match.</summary>
    /// <param name="steps">Batches per optimizer step, at least 1.</param>
    public TrainerBuilder AccumulateGradients(int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        _accumulation = steps;
        return this;
    }

    /// <summary>Chooses what happens when a batch's loss is NaN or infinite.</summary>
    /// <param name="policy">Stop (the default) or skip the batch.</param>
    public TrainerBuilder OnNonFiniteLoss(NonFiniteLossPolicy policy)
    {
        _nonFinite = policy;
        return this;
    }

    /// <summary>
    /// Mixes training batches with MixUp or CutMix, through a <see cref="BatchMixing"/> callback that
    /// runs before the others; a second call replaces the first.
    /// </summary>
    /// <param name="mixer">Such as <c>BatchMixer.MixUp(0.2)</c>.</param>
    public TrainerBuilder UseBatchMixing(BatchMixer mixer)
    {
        ArgumentNullException.ThrowIfNull(mixer);
        _callbacks.RemoveAll(c => c is BatchMixing);
        _callbacks.Insert(0, new BatchMixing(mixer));
        return this;
    }

    /// <summary>Trains on <paramref name="device"/> instead of the automatic choice (CUDA when available, else CPU).</summary>
    /// <param name="device">The device.</param>
    public TrainerBuilder UseDevice(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        return this;
    }

    /// <summary>Sets the number of CPU threads torch uses. This is process-wide: <see cref="Build"/> calls <c>torch.set_num_threads</c>; left unset, nothing is changed.</summary>
    /// <param name="threads">At least 1.</param>
    public TrainerBuilder UseThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _threads = threads;
        return this;
    }

    /// <summary>
    /// On CUDA, allows or forbids TensorFloat-32 in matrix products and cuDNN convolutions
    /// (<c>torch.backends.cuda.matmul.allow_tf32</c> and <c>torch.backends.cudnn.allow_tf32</c>).
    /// These are process-wide settings, changed by <see cref="Build"/> only when this is called;
    /// left unset, LibTorch's defaults apply. Ignored on the CPU.
    /// </summary>
    /// <param name="enabled">Whether TF32 is allowed.</param>
    public TrainerBuilder UseTf32(bool enabled = true)
    {
        _tf32 = enabled;
        return this;
    }

    /// <summary>
    /// Seeds torch's generators (process-wide: <see cref="Seeding.Seed"/>) when <see cref="Build"/>
    /// runs, and the trainer's own per-batch generators (MixUp, CutMix). Without this call
    /// <see cref="Build"/> leaves torch's generators as they are, and the trainer's own draw from seed 0.
    /// </summary>
    /// <param name="seed">The seed.</param>
    public TrainerBuilder UseSeed(int seed)
    {
        _seed = seed;
        return this;
    }

    /// <summary>
    /// Overrides the model description that checkpoints record. Zoo and builder models carry their
    /// own (input size and preprocessing from the zoo entry, the weights or
    /// <c>CnnBuilder.WithPreprocessing</c>), which the trainer completes with the data's class names
    /// only. Given here, it is recorded exactly as given; use it for a custom module.
    /// </summary>
    /// <param name="configuration">The description.</param>
    /// <exception cref="ArgumentException">The configuration is inconsistent.</exception>
    public TrainerBuilder WithConfiguration(ModelConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        try
        {
            configuration.Validate(nameof(WithConfiguration));
        }
        catch (InvalidDataException ex)
        {
            throw new ArgumentException(ex.Message, nameof(configuration), ex);
        }

        _configuration = configuration;
        return this;
    }

    /// <summary>
    /// Shares the training among processes as <paramref name="strategy"/> says (data-parallel
    /// strategies are set by <c>CnnClassify.Distributed</c>'s <c>UseDistributed</c>).
    /// </summary>
    /// <param name="strategy">Makes the strategy, once for each trainer built (a strategy keeps per-model state).</param>
    internal TrainerBuilder UseStrategy(Func<TrainingStrategy> strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        _strategy = strategy;
        return this;
    }

    /// <summary>
    /// Trains on a frozen backbone's cached output (<see cref="BackboneFeatures.Compute"/>) instead
    /// of images: batches go through the model's head alone, in training and validation, while
    /// checkpoints, the configuration and the parameters stay the whole model's. The loaders must
    /// give <see cref="Data.FeatureDataset"/>s of that model's features.
    /// </summary>
    /// <exception cref="InvalidOperationException">At <see cref="Build"/>: the model is not a <see cref="ClassificationModel"/>, or parameters outside its head still train.</exception>
    public TrainerBuilder UseCachedFeatures(bool enabled = true)
    {
        _cachedFeatures = enabled;
        return this;
    }

    /// <summary>Adds a callback; callbacks run in the order added.</summary>
    /// <param name="callback">Such as <see cref="EarlyStopping"/> or <see cref="CheckpointCallback"/>.</param>
    public TrainerBuilder AddCallback(TrainerCallback callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        _callbacks.Add(callback);
        return this;
    }

    /// <summary>
    /// Validates the options and creates the trainer, moving the model to its device. Process-wide
    /// state changes only where asked: torch's generators with <see cref="UseSeed"/>, the thread
    /// count with <see cref="UseThreads"/>, TF32 with <see cref="UseTf32"/>. Callbacks' <see cref="TrainerCallback.OnBuild"/>
    /// runs before the optimizer is created.
    /// </summary>
    /// <exception cref="InvalidOperationException">Options conflict, such as two callbacks with one name or fp16 without autocast support.</exception>
    public Trainer Build()
    {
        var duplicate = _callbacks.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two callbacks are named '{duplicate.Key}'; give each a distinct Name so their checkpoint state stays apart.");
        }

        if (_threads is { } threads)
        {
            torch.set_num_threads(threads);
        }

        var device = _device ?? (torch.cuda.is_available() ? CUDA : CPU);
        var logger = _logger ?? CnnClassifyLogging.For<Trainer>();
        var precision = PrecisionChoice.For(_precision, device);
        if (precision.Precision != Precision.Fp32 && !Autocast.IsSupported)
        {
            throw new InvalidOperationException($"Precision {_precision} needs autocast, which this LibTorch build does not expose; use Precision.Fp32 or Precision.Auto.");
        }

        if (_tf32 is { } tf32 && device.type == DeviceType.CUDA)
        {
            torch.backends.cuda.matmul.allow_tf32 = tf32;
            torch.backends.cudnn.allow_tf32 = tf32;
        }

        if (_seed is { } seed)
        {
            Seeding.Seed(seed);
        }

        foreach (var callback in _callbacks)
        {
            callback.OnBuild(_model);
        }

        var forward = _model;
        if (_cachedFeatures)
        {
            var classifier = _model as ClassificationModel
                ?? throw new InvalidOperationException("UseCachedFeatures needs a ClassificationModel, whose head takes the cached features.");
            if (BackboneFeatures.WhyNotCacheable(classifier, null) is { } reason)
            {
                throw new InvalidOperationException($"UseCachedFeatures: {reason}.");
            }

            forward = classifier.Head;
        }

        var monitored = _callbacks.OfType<IMonitorsMetric>().Select(c => c.Monitor)
            .Concat(_schedule is ReduceOnPlateauSchedule plateau ? [plateau.Monitor] : [])
            .FirstOrDefault(m => m.NeedsValidation());
        var task = ClassificationTask.For(_configuration ?? (_model as ClassificationModel)?.Configuration ?? new ModelConfiguration());
        return new Trainer(new TrainerSettings
        {
            Model = _model,
            Forward = forward,
            Optimizer = _optimizer,
            ParameterGroups = _groups,
            Task = task,
            Loss = _loss ?? task.DefaultLoss,
            Schedule = _schedule,
            Precision = precision.Precision,
            PrecisionChoice = precision,
            ChannelsLast = _channelsLast,
            ReuseNativeMemory = _reuseNativeMemory,
            Logger = logger,
            ClipNorm = _clipNorm,
            ClipValue = _clipValue,
            AccumulationSteps = _accumulation,
            NonFiniteLoss = _nonFinite,
            Device = device,
            Seed = _seed,
            Callbacks = [.. _callbacks],
            Configuration = _configuration,
            Strategy = _strategy(),
            RequiresValidation = monitored.NeedsValidation() ? monitored : null,
        });
    }
}
