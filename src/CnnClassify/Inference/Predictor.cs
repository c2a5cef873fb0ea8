using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Models;
using CnnClassify.Native;
using CnnClassify.Runtime;
using CnnClassify.Training;
using SixLabors.ImageSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Inference;

/// <summary>
/// Classifies images with a trained model: decodes, resizes and normalises them exactly as the
/// checkpoint says the model was trained, and returns class probabilities. Safe to call from
/// several threads at once: images are prepared in parallel and the model runs one batch at a time.
/// </summary>
public sealed class Predictor : IImageClassifier, IImageExplainer
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly bool _ownsModel;
    private readonly ImageDecoder _decoder;
    private readonly IImageTransform _prepare;
    private readonly Device _device;
    private readonly Lock _forward = new();
    private readonly Dictionary<(Explanation.CamMethod, string?), Explanation.ClassActivationMapper> _mappers = [];

    /// <summary>Wraps a zoo or builder model already in memory, prepared as its <see cref="ClassificationModel.Configuration"/> says.</summary>
    /// <param name="model">The model; it is put in evaluation mode and not disposed by the predictor.</param>
    /// <param name="options">How to run; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The configuration cannot drive prediction (not 1 or 3 channels, no input size).</exception>
    public Predictor(ClassificationModel model, PredictorOptions? options = null)
        : this(model, (model ?? throw new ArgumentNullException(nameof(model))).Configuration, options, ownsModel: false)
    {
    }

    /// <summary>Wraps any module, with its description given separately.</summary>
    /// <param name="model">A classifier producing logits; it is put in evaluation mode and not disposed by the predictor.</param>
    /// <param name="configuration">Input, classes and preprocessing of the model.</param>
    /// <param name="options">How to run; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The configuration cannot drive prediction (not 1 or 3 channels, no input size).</exception>
    public Predictor(nn.Module<Tensor, Tensor> model, ModelConfiguration configuration, PredictorOptions? options = null)
        : this(model, configuration, options, ownsModel: false)
    {
    }

    private Predictor(nn.Module<Tensor, Tensor> model, ModelConfiguration configuration, PredictorOptions? options, bool ownsModel)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration.InChannels is not (1 or 3) || configuration.InputHeight < 1 || configuration.InputWidth < 1)
        {
            throw new ArgumentException($"Predictor needs an image model of 1 or 3 input channels with a known input size; the configuration says {configuration.InChannels}x{configuration.InputHeight}x{configuration.InputWidth}.", nameof(configuration));
        }

        try
        {
            configuration.Validate("the model configuration");
        }
        catch (InvalidDataException ex)
        {
            throw new ArgumentException(ex.Message, nameof(configuration), ex);
        }

        _model = model;
        _ownsModel = ownsModel;
        Configuration = configuration;
        Task = ClassificationTask.For(configuration);
        Options = options ?? new PredictorOptions();
        if (Options.ReuseNativeMemory)
        {
            NativeMemoryReuse.Apply();
        }

        ClassNames = configuration.ClassNames.Count > 0
            ? configuration.ClassNames
            : Enumerable.Range(0, configuration.NumClasses).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        _model.eval();
        _device = ModelRunner.DeviceOf(model);
        PrecisionChoice = PrecisionChoice.For(Options.Precision, _device);
        _decoder = new ImageDecoder(configuration.ColorMode, Options.MaxPixels, applyExifOrientation: configuration.Preprocessing.ApplyExifOrientation);
        _prepare = configuration.EvalTransform();
        if (Options.TestTimeAugmentation is { Averaging: TestTimeAveraging.Logits } && ModelRunner.OutputsProbabilities(model))
        {
            throw new ArgumentException("The model averages probabilities itself (an ensemble), so its test-time views cannot be averaged in logits.", nameof(options));
        }
    }

    /// <summary>How the predictor runs.</summary>
    public PredictorOptions Options { get; }

    /// <summary>The precision the forward pass runs in, and why (<see cref="PredictorOptions.Precision"/> resolved for the model's device and this CPU).</summary>
    public PrecisionChoice PrecisionChoice { get; }

    /// <summary>The model's description: input, classes, preprocessing.</summary>
    public ModelConfiguration Configuration { get; }

    /// <summary>The task the model was trained for (<see cref="ModelConfiguration.Task"/>), which turns its outputs into probabilities.</summary>
    public ClassificationTask Task { get; }

    /// <summary>The class names, in label order (the label numbers when the configuration has none).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    ClassifierDescription IImageClassifier.Description => new()
    {
        Architecture = Configuration.Architecture,
        Runtime = "libtorch",
        ClassNames = ClassNames,
        InChannels = Configuration.InChannels,
        InputHeight = Configuration.InputHeight,
        InputWidth = Configuration.InputWidth,
        ResizeSize = Configuration.Preprocessing.ResizeSize,
        Interpolation = Configuration.Preprocessing.Interpolation.ToString().ToLowerInvariant(),
        Mean = Configuration.Preprocessing.Mean,
        Std = Configuration.Preprocessing.Std,
        ApplyExifOrientation = Configuration.Preprocessing.ApplyExifOrientation,
        Task = Configuration.Task,
        Thresholds = Configuration.Thresholds,
    };

    /// <summary>
    /// Loads a checkpoint written by the trainer with nothing else: the model it describes (a zoo
    /// model by name, or a <c>CnnBuilder</c> model from its stored layers) is rebuilt with the saved
    /// weights, and images are prepared as its configuration says.
    /// </summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="options">How to run, including the device; <see langword="null"/> for the defaults.</param>
    /// <exception cref="InvalidDataException">The checkpoint is damaged, or holds a custom model that only code can create (use the overload that takes the model).</exception>
    public static Predictor FromCheckpoint(string path, PredictorOptions? options = null)
    {
        var model = CheckpointArchive.LoadModel(path);
        try
        {
            model.to(options?.Device ?? CPU);
            return new Predictor(model, model.Configuration, options, ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Loads a checkpoint's weights and configuration into <paramref name="model"/>, for custom models a checkpoint cannot rebuild.</summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="model">A model of the saved architecture; the predictor does not dispose it.</param>
    /// <param name="options">How to run, including the device; <see langword="null"/> for the defaults.</param>
    /// <exception cref="InvalidDataException">The checkpoint is damaged or its weights do not fit the model.</exception>
    public static Predictor FromCheckpoint(string path, nn.Module<Tensor, Tensor> model, PredictorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var configuration = CheckpointArchive.ReadConfiguration(path);
        CheckpointArchive.LoadModel(path, model);
        model.to(options?.Device ?? CPU);
        return new Predictor(model, configuration, options, ownsModel: false);
    }

    /// <summary>Classifies an image file.</summary>
    /// <param name="path">A JPEG, PNG, BMP, GIF, TIFF or WebP file.</param>
    /// <exception cref="InvalidImageException">The file cannot be used; the message names it.</exception>
    public Prediction Predict(string path)
    {
        using var image = _decoder.Decode(path);
        return Run([image], [path])[0];
    }

    /// <summary>Classifies an image read from a stream.</summary>
    /// <param name="stream">A seekable stream holding an encoded image.</param>
    /// <param name="sourceName">A name for messages and the result.</param>
    public Prediction Predict(Stream stream, string sourceName = "stream")
    {
        using var image = _decoder.Decode(stream, sourceName);
        return Run([image], [sourceName])[0];
    }

    /// <summary>Classifies a decoded ImageSharp image.</summary>
    /// <param name="image">The image; it is not disposed.</param>
    /// <param name="sourceName">A name for the result.</param>
    public Prediction Predict(Image image, string sourceName = "image")
    {
        using var tensor = _decoder.FromImage(image);
        return Run([tensor], [sourceName])[0];
    }

    /// <summary>Classifies many image files, running the model on batches of them.</summary>
    /// <param name="paths">The files.</param>
    /// <param name="batchSize">Images per forward pass, at least 1.</param>
    /// <exception cref="InvalidImageException">A file cannot be used; the message names it.</exception>
    public IReadOnlyList<Prediction> PredictBatch(IEnumerable<string> paths, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var results = new List<Prediction>();
        foreach (var chunk in paths.Chunk(batchSize))
        {
            var images = new List<Tensor>();
            try
            {
                images.AddRange(chunk.Select(_decoder.Decode));
                results.AddRange(Run(images, chunk));
            }
            finally
            {
                images.ForEach(image => image.Dispose());
            }
        }

        return results;
    }

    /// <summary>
    /// Explains the predictions for image files with class activation maps: where the model looks
    /// for each predicted class, or for <paramref name="className"/>. A multi-label model's image
    /// gets one map per predicted label (its most probable label when none is predicted), so the
    /// result may hold an image more than once.
    /// </summary>
    /// <param name="paths">The image files.</param>
    /// <param name="method">Grad-CAM, Grad-CAM++ or Score-CAM.</param>
    /// <param name="layer">The layer's state-dict path; by default the last convolutional stage.</param>
    /// <param name="className">The class to explain for every image; <see langword="null"/> for each one's predicted classes.</param>
    /// <returns>The inputs and maps; the caller disposes them.</returns>
    /// <exception cref="InvalidImageException">A file cannot be used; the message names it.</exception>
    /// <exception cref="ArgumentException">No such class or layer; the message lists the known ones.</exception>
    public Explanation.ExplainedImages Explain(IEnumerable<string> paths, Explanation.CamMethod method = Explanation.CamMethod.GradCam, string? layer = null, string? className = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = paths.ToList();
        if (files.Count == 0)
        {
            throw new ArgumentException("No image to explain.", nameof(paths));
        }

        int? target = null;
        if (className is not null)
        {
            var index = ClassNames.ToList().FindIndex(name => string.Equals(name, className, StringComparison.OrdinalIgnoreCase));
            target = index >= 0 ? index : throw new ArgumentException($"Unknown class '{className}'. The model's classes: {string.Join(", ", ClassNames)}.", nameof(className));
        }

        var images = new List<Tensor>();
        try
        {
            images.AddRange(files.Select(_decoder.Decode));
            using var scope = torch.NewDisposeScope();
            var batch = torch.stack(images.Select(image => _prepare.Apply(image, Random.Shared)).ToArray());
            lock (_forward)
            {
                // The default layer is found by a trial forward pass: once per method and layer.
                if (!_mappers.TryGetValue((method, layer), out var mapper))
                {
                    mapper = new Explanation.ClassActivationMapper(_model, method, layer);
                    _mappers[(method, layer)] = mapper;
                }

                if (target is { } c)
                {
                    var chosen = mapper.Compute(batch.to(_device), Enumerable.Repeat(c, files.Count).ToList());
                    return new Explanation.ExplainedImages(files, batch.DetachFromDisposeScope(), chosen, ClassNames, Configuration.Preprocessing);
                }

                // One map per class the task predicts (one for single-label; any number for
                // multi-label, or its most probable class when it predicts none).
                var scores = ModelRunner.Probabilities(_model, Task, ModelRunner.Outputs(_model, batch.to(_device), _device, Options.Inference with { Precision = PrecisionChoice.Precision })).cpu();
                var rows = new List<(int Image, int Class)>();
                for (var i = 0; i < files.Count; i++)
                {
                    var row = scores[i].data<float>().ToArray();
                    var predicted = Task.Predict(row);
                    rows.AddRange((predicted.Count > 0 ? predicted : [Array.IndexOf(row, row.Max())]).Select(k => (i, k)));
                }

                using var picked = torch.tensor(rows.Select(r => (long)r.Image).ToArray());
                var inputs = batch.index_select(0, picked);
                var maps = mapper.Compute(inputs.to(_device), rows.Select(r => r.Class).ToList());
                return new Explanation.ExplainedImages([.. rows.Select(r => files[r.Image])], inputs.DetachFromDisposeScope(), maps, ClassNames, Configuration.Preprocessing);
            }
        }
        finally
        {
            images.ForEach(image => image.Dispose());
        }
    }

    /// <inheritdoc />
    public PreparedImage Prepare(Stream stream, string sourceName)
    {
        using var image = _decoder.Decode(stream, sourceName);
        using var scope = torch.NewDisposeScope();
        return new PreparedTensor(sourceName, PrepareViews(image).contiguous().DetachFromDisposeScope());
    }

    /// <inheritdoc />
    public IReadOnlyList<Prediction> Classify(IReadOnlyList<PreparedImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var tensors = images.Select(image => image is PreparedTensor prepared ? prepared.Input : throw new ArgumentException($"'{image.SourceName}' was prepared by another kind of classifier.", nameof(images))).ToList();
        return RunPrepared(tensors, [.. images.Select(image => image.SourceName)]);
    }

    /// <inheritdoc />
    public ExplainedOverlay Explain(PreparedImage image, string? className = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        var input = image is PreparedTensor prepared ? prepared.Input : throw new ArgumentException($"'{image.SourceName}' was prepared by another kind of classifier.", nameof(image));
        int? target = null;
        if (className is not null)
        {
            var index = ClassNames.ToList().FindIndex(name => string.Equals(name, className, StringComparison.OrdinalIgnoreCase));
            target = index >= 0 ? index : throw new ArgumentException($"Unknown class '{className}'. The model's classes: {string.Join(", ", ClassNames)}.", nameof(className));
        }

        using var scope = torch.NewDisposeScope();
        // With test-time augmentation the prepared image holds its views; the map explains the first.
        var batch = input.dim() == 4 ? input.narrow(0, 0, 1) : input.unsqueeze(0);
        lock (_forward)
        {
            if (!_mappers.TryGetValue((Explanation.CamMethod.GradCam, null), out var mapper))
            {
                mapper = new Explanation.ClassActivationMapper(_model, Explanation.CamMethod.GradCam);
                _mappers[(Explanation.CamMethod.GradCam, null)] = mapper;
            }

            // Without a class the map explains the prediction, which Compute works out itself.
            using var maps = mapper.Compute(batch.to(_device), target is { } c ? [c] : null);
            using var upsampled = maps.Upsampled();
            var display = Explanation.HeatmapPlot.Display(batch, Configuration.Preprocessing);
            return new ExplainedOverlay(ClassNames[maps.Classes[0]], Explanation.HeatmapPlot.EncodeOverlay(display[0], upsampled[0]));
        }
    }

    /// <summary>Disposes the model if the predictor created it.</summary>
    public void Dispose()
    {
        if (_ownsModel)
        {
            _model.Dispose();
        }
    }

    // The task says which classes the probabilities predict (they are float32 values widened, so narrowing is exact).
    private Prediction Predicted(string source, double[] probabilities) =>
        new(source, ClassNames, probabilities, Task.Predict([.. probabilities.Select(p => (float)p)]));

    private List<Prediction> Run(IReadOnlyList<Tensor> images, IReadOnlyList<string> sources)
    {
        using var scope = torch.NewDisposeScope();
        return RunPrepared([.. images.Select(PrepareViews)], sources);
    }

    // The model's input for one decoded image: [C, H, W], or with test-time augmentation its views
    // stacked [V, C, H, W] (a random view draws the numbers of its epoch, the same for every image).
    private Tensor PrepareViews(Tensor image)
    {
        if (Options.TestTimeAugmentation is not { } tta)
        {
            return _prepare.Apply(image, Random.Shared);
        }

        using var scope = torch.NewDisposeScope();
        var views = tta.Views.Select(view =>
        {
            var prepared = (view.Transform ?? _prepare).Apply(image, new Random(SeedMix.Mix(0, view.Epoch, 0)));
            return view.Mirror ? prepared.flip(2) : prepared;
        }).ToArray();
        return torch.stack(views).MoveToOuterDisposeScope();
    }

    private List<Prediction> RunPrepared(IReadOnlyList<Tensor> prepared, IReadOnlyList<string> sources)
    {
        using var scope = torch.NewDisposeScope();
        var batch = torch.stack(prepared).to(_device);
        Tensor probabilities;
        lock (_forward)
        {
            var inference = Options.Inference with { Precision = PrecisionChoice.Precision };
            if (Options.TestTimeAugmentation is not { } tta)
            {
                probabilities = ModelRunner.Probabilities(_model, Task, ModelRunner.Outputs(_model, batch, _device, inference));
            }
            else
            {
                // Every view of every image in one pass: [N, V, C, H, W] as [N x V, C, H, W].
                var (count, views) = (batch.shape[0], batch.shape[1]);
                var outputs = ModelRunner.Outputs(_model, batch.flatten(0, 1), _device, inference);
                var total = tta.Views.Sum(v => v.Weight);
                using var weights = torch.tensor(tta.Views.Select(v => (float)(v.Weight / total)).ToArray(), device: _device).view(1, views, 1);
                probabilities = tta.Averaging == TestTimeAveraging.Logits
                    ? ModelRunner.Probabilities(_model, Task, outputs.view(count, views, -1).mul(weights).sum(1))
                    : ModelRunner.Probabilities(_model, Task, outputs).view(count, views, -1).mul(weights).sum(1);
            }
        }

        if (probabilities.shape[1] != ClassNames.Count)
        {
            throw new InvalidOperationException($"The model outputs {probabilities.shape[1]} classes but its configuration has {ClassNames.Count}.");
        }

        var values = probabilities.cpu().to(ScalarType.Float64).data<double>().ToArray();
        var classes = ClassNames.Count;
        return Enumerable.Range(0, prepared.Count)
            .Select(i => Predicted(sources[i], values.AsSpan(i * classes, classes).ToArray()))
            .ToList();
    }

    // A prepared image handed out through IImageClassifier: the normalised [C, H, W] tensor, outside any dispose scope.
    private sealed class PreparedTensor(string sourceName, Tensor input) : PreparedImage(sourceName)
    {
        public Tensor Input { get; } = input;

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Input.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
