using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Interop;
using CnnClassify.Models;
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
public sealed class Predictor : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly bool _ownsModel;
    private readonly ImageDecoder _decoder;
    private readonly IImageTransform _prepare;
    private readonly Device _device;
    private readonly Lock _forward = new();

    /// <summary>Wraps a model already in memory.</summary>
    /// <param name="model">A classifier producing logits; it is put in evaluation mode.</param>
    /// <param name="options">Classes and preprocessing.</param>
    /// <exception cref="ArgumentException">The options are inconsistent.</exception>
    public Predictor(nn.Module<Tensor, Tensor> model, PredictorOptions options)
        : this(model, options, ownsModel: false)
    {
    }

    private Predictor(nn.Module<Tensor, Tensor> model, PredictorOptions options, bool ownsModel)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (options.ClassNames.Count == 0 || options.InChannels is not (1 or 3) || options.ImageSize < 1 || options.Mean.Count != options.Std.Count)
        {
            throw new ArgumentException("Predictor needs class names, 1 or 3 input channels, a positive image size and as many means as standard deviations.", nameof(options));
        }

        _model = model;
        _ownsModel = ownsModel;
        Options = options;
        _model.eval();
        _device = model.parameters().FirstOrDefault()?.device ?? CPU;
        _decoder = new ImageDecoder(options.InChannels == 1 ? ColorMode.Grayscale : ColorMode.Rgb, options.MaxPixels);
        var steps = new List<IImageTransform> { new Resize(options.ImageSize, options.ImageSize), new ToTensor() };
        if (options.Mean.Count > 0)
        {
            steps.Add(new Normalize(options.Mean, options.Std));
        }

        _prepare = new Compose([.. steps]);
    }

    /// <summary>Classes and preprocessing in use.</summary>
    public PredictorOptions Options { get; }

    /// <summary>The class names, in label order.</summary>
    public IReadOnlyList<string> ClassNames => Options.ClassNames;

    /// <summary>
    /// Loads a checkpoint written by the trainer: the model named in its metadata is created from
    /// the <see cref="ModelZoo"/> and given the saved weights, and preprocessing follows the metadata.
    /// </summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="testTimeAugmentation">Whether to average over a horizontal flip.</param>
    /// <param name="device">Where to run; default the CPU.</param>
    /// <param name="channelsLast">Whether to feed the model channels-last batches (<see cref="PredictorOptions.ChannelsLast"/>).</param>
    /// <exception cref="InvalidDataException">The checkpoint has no model name (use the overload that takes a model) or does not fit.</exception>
    public static Predictor FromCheckpoint(string path, bool testTimeAugmentation = false, Device? device = null, bool channelsLast = false)
    {
        var metadata = Checkpoint.ReadMetadata(path);
        if (metadata.ModelName is null)
        {
            throw new InvalidDataException($"Checkpoint '{path}' does not name a zoo model; create the model yourself and call FromCheckpoint(path, model).");
        }

        var model = ModelZoo.Create(metadata.ModelName, new ModelOptions
        {
            NumClasses = metadata.ClassNames.Count,
            InChannels = metadata.InChannels,
            ImageSize = metadata.ImageSize,
            AuxiliaryHeads = metadata.AuxiliaryHeads,
        });
        try
        {
            return FromCheckpoint(path, model, testTimeAugmentation, device, channelsLast, ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Loads a checkpoint's weights into <paramref name="model"/> and its preprocessing from the metadata.</summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="model">A model of the saved architecture; the predictor does not dispose it.</param>
    /// <param name="testTimeAugmentation">Whether to average over a horizontal flip.</param>
    /// <param name="device">Where to run; default the CPU.</param>
    /// <param name="channelsLast">Whether to feed the model channels-last batches (<see cref="PredictorOptions.ChannelsLast"/>).</param>
    public static Predictor FromCheckpoint(string path, nn.Module<Tensor, Tensor> model, bool testTimeAugmentation = false, Device? device = null, bool channelsLast = false) =>
        FromCheckpoint(path, model, testTimeAugmentation, device, channelsLast, ownsModel: false);

    /// <summary>Classifies an image file.</summary>
    /// <param name="path">A JPEG, PNG, BMP, GIF or WebP file.</param>
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

    /// <summary>Disposes the model if the predictor created it.</summary>
    public void Dispose()
    {
        if (_ownsModel)
        {
            _model.Dispose();
        }
    }

    private static Predictor FromCheckpoint(string path, nn.Module<Tensor, Tensor> model, bool testTimeAugmentation, Device? device, bool channelsLast, bool ownsModel)
    {
        var metadata = Checkpoint.ReadMetadata(path);
        Checkpoint.LoadModel(path, model);
        model.to(device ?? CPU);
        return new Predictor(model, new PredictorOptions
        {
            ClassNames = metadata.ClassNames,
            InChannels = metadata.InChannels,
            ImageSize = metadata.ImageSize,
            Mean = metadata.NormalizeMean,
            Std = metadata.NormalizeStd,
            TestTimeAugmentation = testTimeAugmentation,
            ChannelsLast = channelsLast,
        }, ownsModel);
    }

    private List<Prediction> Run(IReadOnlyList<Tensor> images, IReadOnlyList<string> sources)
    {
        using var scope = torch.NewDisposeScope();
        var batch = torch.stack(images.Select(image => _prepare.Apply(image, Random.Shared)).ToArray()).to(_device);
        if (Options.ChannelsLast)
        {
            batch = batch.ToChannelsLast();
        }

        Tensor probabilities;
        lock (_forward)
        {
            using var noGrad = torch.no_grad();
            probabilities = _model.call(batch).to(ScalarType.Float32).softmax(1);
            if (Options.TestTimeAugmentation)
            {
                probabilities = (probabilities + _model.call(batch.flip(3)).to(ScalarType.Float32).softmax(1)) / 2;
            }
        }

        if (probabilities.shape[1] != ClassNames.Count)
        {
            throw new InvalidOperationException($"The model outputs {probabilities.shape[1]} classes but the predictor has {ClassNames.Count} class names.");
        }

        var values = probabilities.cpu().to(ScalarType.Float64).data<double>().ToArray();
        var classes = ClassNames.Count;
        return Enumerable.Range(0, images.Count)
            .Select(i => new Prediction(sources[i], ClassNames, values.AsSpan(i * classes, classes).ToArray()))
            .ToList();
    }
}
