using CnnClassify.Data;
using CnnClassify.Inference;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SixLabors.ImageSharp;

namespace CnnClassify.Onnx;

/// <summary>
/// Classifies images with a model exported by <c>ClassificationModel.ExportOnnx</c>, on ONNX
/// Runtime and without LibTorch: decodes, resizes, crops and normalises them as the file's
/// metadata says (the training library's steps, computed the same way), runs the graph, and
/// returns the same <see cref="Prediction"/> as the LibTorch predictor. Safe to call from several
/// threads at once.
/// </summary>
public sealed class OnnxPredictor : IImageClassifier
{
    private readonly InferenceSession _session;
    private readonly PixelDecoder _decoder;
    private readonly string _inputName;
    private readonly string _modelPath;
    private ClassifierDescription? _classifierDescription;

    /// <summary>Loads an exported model.</summary>
    /// <param name="modelPath">The <c>.onnx</c> file.</param>
    /// <param name="options">How to run; <see langword="null"/> for the defaults.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model, or lacks CnnClassify's metadata; the message names it.</exception>
    public OnnxPredictor(string modelPath, OnnxPredictorOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"The ONNX model '{modelPath}' does not exist.", modelPath);
        }

        _modelPath = modelPath;
        Options = options ?? new OnnxPredictorOptions();
        using var sessionOptions = new SessionOptions();
        if (Options.Threads is { } threads)
        {
            sessionOptions.IntraOpNumThreads = threads;
        }

        if (Options.AllowSpinning is { } spinning)
        {
            sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", spinning ? "1" : "0");
            sessionOptions.AddSessionConfigEntry("session.inter_op.allow_spinning", spinning ? "1" : "0");
        }

        sessionOptions.GraphOptimizationLevel = Level(Options.GraphOptimization);
        try
        {
            _session = Options.OptimizedModelCache is { } cache && !File.Exists(modelPath + ".data")
                ? OptimizedModelCache.Open(modelPath, cache, sessionOptions, Options.GraphOptimization)
                : new InferenceSession(modelPath, sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidDataException($"'{modelPath}' cannot be loaded as an ONNX model: {ex.Message}", ex);
        }

        try
        {
            Description = OnnxModelDescription.Read(_session.ModelMetadata.CustomMetadataMap, modelPath);
            if (_session.InputMetadata.Count != 1 || _session.OutputMetadata.Count < 1)
            {
                throw new InvalidDataException($"'{modelPath}' has {_session.InputMetadata.Count} inputs and {_session.OutputMetadata.Count} outputs; an exported classifier has one input and its logits as output.");
            }

            _inputName = _session.InputMetadata.Keys.Single();
            CheckGraphShapes(modelPath);
            _decoder = new PixelDecoder(Description.InChannels == 1 ? ColorMode.Grayscale : ColorMode.Rgb, Options.MaxPixels) { ApplyExifOrientation = Description.ApplyExifOrientation };
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    /// <summary>How the predictor runs.</summary>
    public OnnxPredictorOptions Options { get; }

    /// <summary>The model's input, classes and preprocessing, from the file's metadata.</summary>
    public OnnxModelDescription Description { get; }

    /// <summary>The class names, in label order.</summary>
    public IReadOnlyList<string> ClassNames => Description.ClassNames;

    /// <inheritdoc />
    ClassifierDescription IImageClassifier.Description => _classifierDescription ??= new ClassifierDescription
    {
        Architecture = Description.Architecture,
        Runtime = "onnxruntime",
        ClassNames = Description.ClassNames,
        InChannels = Description.InChannels,
        InputHeight = Description.InputHeight,
        InputWidth = Description.InputWidth,
        ResizeSize = Description.ResizeSize,
        Interpolation = Description.Interpolation,
        Mean = Description.Mean,
        Std = Description.Std,
        ApplyExifOrientation = Description.ApplyExifOrientation,
        Task = Description.Task,
        Thresholds = Description.Thresholds,
        Quantization = Description.Quantization,
    };

    /// <summary>Classifies an image file.</summary>
    /// <param name="path">A JPEG, PNG, BMP, GIF, TIFF or WebP file.</param>
    /// <exception cref="InvalidImageException">The file cannot be used; the message names it.</exception>
    public Prediction Predict(string path) => Run([Prepare(_decoder.Decode(path))], [path])[0];

    /// <summary>Classifies an image read from a stream.</summary>
    /// <param name="stream">A seekable stream holding an encoded image.</param>
    /// <param name="sourceName">A name for messages and the result.</param>
    public Prediction Predict(Stream stream, string sourceName = "stream") => Run([Prepare(_decoder.Decode(stream, sourceName))], [sourceName])[0];

    /// <summary>Classifies a decoded ImageSharp image.</summary>
    /// <param name="image">The image; it is not disposed.</param>
    /// <param name="sourceName">A name for the result.</param>
    public Prediction Predict(Image image, string sourceName = "image") => Run([Prepare(_decoder.FromImage(image))], [sourceName])[0];

    /// <summary>Classifies many image files, running the model on batches of them.</summary>
    /// <param name="paths">The files.</param>
    /// <param name="batchSize">Images per run, at least 1.</param>
    /// <exception cref="InvalidImageException">A file cannot be used; the message names it.</exception>
    public IReadOnlyList<Prediction> PredictBatch(IEnumerable<string> paths, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var results = new List<Prediction>();
        foreach (var chunk in paths.Chunk(batchSize))
        {
            var prepared = new Prepared[chunk.Length];
            try
            {
                Parallel.For(0, chunk.Length, i => prepared[i] = Prepare(_decoder.Decode(chunk[i])));
            }
            catch (AggregateException ex)
            {
                // The first file that failed, with its own documented exception.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
            }

            results.AddRange(Run(prepared, chunk));
        }

        return results;
    }

    /// <inheritdoc />
    public PreparedImage Prepare(Stream stream, string sourceName) => new PreparedPixels(sourceName, Prepare(_decoder.Decode(stream, sourceName)));

    /// <inheritdoc />
    public IReadOnlyList<Prediction> Classify(IReadOnlyList<PreparedImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var prepared = images.Select(image => image is PreparedPixels pixels ? pixels.Input : throw new ArgumentException($"'{image.SourceName}' was prepared by another kind of classifier.", nameof(images))).ToList();
        return Run(prepared, [.. images.Select(image => image.SourceName)]);
    }

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose() => _session.Dispose();

    // The graph's fixed input and output sizes must be the ones the metadata describes, so that a
    // file whose metadata was altered is refused before any image is prepared for it.
    /// <summary>ONNX Runtime's level for <paramref name="optimization"/>.</summary>
    internal static GraphOptimizationLevel Level(OnnxGraphOptimization optimization) => optimization switch
    {
        OnnxGraphOptimization.None => GraphOptimizationLevel.ORT_DISABLE_ALL,
        OnnxGraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
        OnnxGraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
    };

    private void CheckGraphShapes(string modelPath)
    {
        var d = Description;
        var input = _session.InputMetadata[_inputName].Dimensions;
        int[] described = [-1, d.InChannels, d.InputHeight, d.InputWidth];
        if (input.Length != 4 || input.Zip(described).Any(pair => pair.First > 0 && pair.Second > 0 && pair.First != pair.Second))
        {
            throw new InvalidDataException($"'{modelPath}': its graph takes input [{string.Join(", ", input)}], but its metadata describes [batch, {d.InChannels}, {d.InputHeight}, {d.InputWidth}].");
        }

        var output = _session.OutputMetadata.First().Value.Dimensions;
        if (output.Length != 2 || (output[1] > 0 && output[1] != d.ClassNames.Count))
        {
            throw new InvalidDataException($"'{modelPath}': its graph gives output [{string.Join(", ", output)}], but its metadata lists {d.ClassNames.Count} classes.");
        }
    }

    // The model's input for one image: bytes for a graph that takes pixels, else normalised floats.
    private sealed record Prepared(byte[]? Pixels, float[]? Values);

    // A prepared image handed out through IImageClassifier: managed arrays only, nothing to release.
    private sealed class PreparedPixels(string sourceName, Prepared input) : PreparedImage(sourceName)
    {
        public Prepared Input { get; } = input;
    }

    private Prepared Prepare(PixelImage image)
    {
        var d = Description;
        var (channels, height, width) = (image.Channels, image.Height, image.Width);
        var planar = new byte[channels * height * width];
        for (var c = 0; c < channels; c++)
        {
            for (var i = 0; i < height * width; i++)
            {
                planar[(c * height * width) + i] = image.Data[(i * channels) + c];
            }
        }

        byte[] Resized(int h, int w) => h == height && w == width
            ? planar
            : PixelResize.Resize([.. planar.Select(b => (float)b)], channels, height, width, h, w, d.Interpolation);

        byte[] pixels;
        if (d.ResizeSize is { } side)
        {
            // Shorter side to `side`, the other in proportion (truncated), then the centre crop.
            var (h, w) = height <= width ? (side, Math.Max(1, (int)(side * (double)width / height))) : (Math.Max(1, (int)(side * (double)height / width)), side);
            pixels = CenterCrop(Resized(h, w), channels, h, w, d.InputHeight, d.InputWidth);
        }
        else
        {
            pixels = Resized(d.InputHeight, d.InputWidth);
        }

        if (d.TakesPixels)
        {
            return new Prepared(pixels, null);
        }

        // ToTensor (/ 255) and Normalize ((x - mean) / std) in float32, as the training library computes them.
        var values = new float[pixels.Length];
        var plane = d.InputHeight * d.InputWidth;
        for (var i = 0; i < values.Length; i++)
        {
            var value = pixels[i] / 255f;
            if (d.Mean.Count > 0)
            {
                var c = d.Mean.Count == 1 ? 0 : i / plane;
                value = (value - (float)d.Mean[c]) / (float)d.Std[c];
            }

            values[i] = value;
        }

        return new Prepared(null, values);
    }

    // The centred region, placed as torchvision places it (CenterCropOffset), zero-padded where the image is smaller.
    private static byte[] CenterCrop(byte[] pixels, int channels, int height, int width, int cropHeight, int cropWidth)
    {
        var top = (int)CenterCropOffset.Of(height, cropHeight);
        var left = (int)CenterCropOffset.Of(width, cropWidth);
        var result = new byte[channels * cropHeight * cropWidth];
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < cropHeight; y++)
            {
                var sourceY = top + y;
                if (sourceY < 0 || sourceY >= height)
                {
                    continue;
                }

                for (var x = 0; x < cropWidth; x++)
                {
                    var sourceX = left + x;
                    if (sourceX >= 0 && sourceX < width)
                    {
                        result[(((c * cropHeight) + y) * cropWidth) + x] = pixels[(((c * height) + sourceY) * width) + sourceX];
                    }
                }
            }
        }

        return result;
    }

    private List<Prediction> Run(IReadOnlyList<Prepared> images, IReadOnlyList<string> sources)
    {
        var d = Description;
        int[] shape = [images.Count, d.InChannels, d.InputHeight, d.InputWidth];
        var size = d.InChannels * d.InputHeight * d.InputWidth;
        NamedOnnxValue input;
        if (d.TakesPixels)
        {
            var data = new byte[images.Count * size];
            for (var i = 0; i < images.Count; i++)
            {
                images[i].Pixels!.CopyTo(data, i * size);
            }

            input = NamedOnnxValue.CreateFromTensor(_inputName, new DenseTensor<byte>(data, shape));
        }
        else
        {
            var data = new float[images.Count * size];
            for (var i = 0; i < images.Count; i++)
            {
                images[i].Values!.CopyTo(data, i * size);
            }

            input = NamedOnnxValue.CreateFromTensor(_inputName, new DenseTensor<float>(data, shape));
        }

        IDisposableReadOnlyCollection<DisposableNamedOnnxValue> outputs;
        try
        {
            outputs = _session.Run([input]);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidDataException($"'{_modelPath}': ONNX Runtime could not run the model: {ex.Message}", ex);
        }

        using var disposeOutputs = outputs;
        var logits = outputs[0].AsTensor<float>();
        var classes = (int)logits.Dimensions[1];
        if (logits.Dimensions.Length != 2 || classes != ClassNames.Count)
        {
            throw new InvalidDataException($"'{_modelPath}': the model gives logits of shape [{string.Join(", ", logits.Dimensions.ToArray())}], but its metadata lists {ClassNames.Count} classes.");
        }

        var predictions = new List<Prediction>(images.Count);
        for (var i = 0; i < images.Count; i++)
        {
            predictions.Add(Predicted(sources[i], logits, i, classes));
        }

        return predictions;
    }

    // The task's activation and decision, as the LibTorch predictor's: the most probable class of a
    // softmax, or every class whose sigmoid reaches its threshold, most probable first.
    private Prediction Predicted(string source, Tensor<float> logits, int row, int classes)
    {
        if (Description.Task != Inference.TaskNames.MultiLabel)
        {
            return new Prediction(source, ClassNames, Softmax(logits, row, classes));
        }

        var probabilities = new double[classes];
        for (var k = 0; k < classes; k++)
        {
            probabilities[k] = 1f / (1f + MathF.Exp(-logits[row, k]));
        }

        var thresholds = Description.Thresholds;
        var predicted = Enumerable.Range(0, classes)
            .Where(k => probabilities[k] >= (thresholds?[k] ?? Inference.TaskNames.DefaultThreshold))
            .OrderByDescending(k => probabilities[k]).ThenBy(k => k).ToList();
        return new Prediction(source, ClassNames, probabilities, predicted);
    }

    // Softmax in float32 as LibTorch computes it (subtract the maximum, exponentiate, divide by the sum).
    private static double[] Softmax(Tensor<float> logits, int row, int classes)
    {
        var max = float.NegativeInfinity;
        for (var k = 0; k < classes; k++)
        {
            max = Math.Max(max, logits[row, k]);
        }

        var exps = new float[classes];
        var sum = 0f;
        for (var k = 0; k < classes; k++)
        {
            exps[k] = MathF.Exp(logits[row, k] - max);
            sum += exps[k];
        }

        return [.. exps.Select(e => (double)(e / sum))];
    }
}
