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
            var prepared = new Prepared[chunk.Length][];
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

    // The model's input for one view of an image: bytes for a graph that takes pixels, else normalised floats.
    private sealed record Prepared(byte[]? Pixels, float[]? Values);

    // A prepared image handed out through IImageClassifier: managed arrays only, nothing to release.
    private sealed class PreparedPixels(string sourceName, Prepared[] input) : PreparedImage(sourceName)
    {
        public Prepared[] Input { get; } = input;
    }

    // The views of one image (one without test-time augmentation), each the model's input.
    private Prepared[] Prepare(PixelImage image)
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

        // Shorter side to `side`, the other in proportion (truncated).
        (int Height, int Width) ShorterSideTo(int side) => height <= width ? (side, Math.Max(1, (int)(side * (double)width / height))) : (Math.Max(1, (int)(side * (double)height / width)), side);

        var (inputHeight, inputWidth) = (d.InputHeight, d.InputWidth);
        if (Options.TestTimeViews is OnnxTestTimeViews.FiveCrop or OnnxTestTimeViews.TenCrop)
        {
            // The crops' image: as the preprocessing resizes it, or 8/7 of the input size.
            var (h, w) = d.ResizeSize is { } resize ? ShorterSideTo(resize) : ((int)Math.Round(inputHeight * 8 / 7.0), (int)Math.Round(inputWidth * 8 / 7.0));
            if (h < inputHeight || w < inputWidth)
            {
                throw new InvalidDataException($"'{_modelPath}': a {inputHeight}x{inputWidth} crop needs the resized image at least that large; it is {h}x{w}.");
            }

            var resized = Resized(h, w);
            var views = new List<Prepared>();
            foreach (var (top, left) in new[] { (0, 0), (0, w - inputWidth), (h - inputHeight, 0), (h - inputHeight, w - inputWidth), ((int)CenterCropOffset.Of(h, inputHeight), (int)CenterCropOffset.Of(w, inputWidth)) })
            {
                var crop = Crop(resized, channels, h, w, top, left, inputHeight, inputWidth);
                views.Add(Finish(crop));
                if (Options.TestTimeViews == OnnxTestTimeViews.TenCrop)
                {
                    views.Add(Finish(Mirror(crop, channels, inputHeight, inputWidth)));
                }
            }

            return [.. views];
        }

        byte[] pixels;
        if (d.ResizeSize is { } side)
        {
            var (h, w) = ShorterSideTo(side);
            pixels = Crop(Resized(h, w), channels, h, w, (int)CenterCropOffset.Of(h, inputHeight), (int)CenterCropOffset.Of(w, inputWidth), inputHeight, inputWidth);
        }
        else
        {
            pixels = Resized(inputHeight, inputWidth);
        }

        return Options.TestTimeViews == OnnxTestTimeViews.Flip ? [Finish(pixels), Finish(Mirror(pixels, channels, inputHeight, inputWidth))] : [Finish(pixels)];
    }

    // The model's input from prepared pixels: the bytes for a graph that takes them, else ToTensor
    // (/ 255) and Normalize ((x - mean) / std) in float32, as the training library computes them.
    private Prepared Finish(byte[] pixels)
    {
        var d = Description;
        if (d.TakesPixels)
        {
            return new Prepared(pixels, null);
        }

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

    // The planar image mirrored left to right.
    private static byte[] Mirror(byte[] pixels, int channels, int height, int width)
    {
        var result = new byte[pixels.Length];
        for (var row = 0; row < channels * height; row++)
        {
            for (var x = 0; x < width; x++)
            {
                result[(row * width) + x] = pixels[(row * width) + width - 1 - x];
            }
        }

        return result;
    }

    // The region at (top, left), as torchvision's crops place it (the centre by CenterCropOffset),
    // zero-padded where it leaves the image.
    private static byte[] Crop(byte[] pixels, int channels, int height, int width, int top, int left, int cropHeight, int cropWidth)
    {
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

    // Every view of every image in one run; each image's views averaged in probability (or logit) space.
    private List<Prediction> Run(IReadOnlyList<Prepared[]> images, IReadOnlyList<string> sources)
    {
        var d = Description;
        var views = images.SelectMany(v => v).ToList();
        int[] shape = [views.Count, d.InChannels, d.InputHeight, d.InputWidth];
        var size = d.InChannels * d.InputHeight * d.InputWidth;
        NamedOnnxValue input;
        if (d.TakesPixels)
        {
            var data = new byte[views.Count * size];
            for (var i = 0; i < views.Count; i++)
            {
                views[i].Pixels!.CopyTo(data, i * size);
            }

            input = NamedOnnxValue.CreateFromTensor(_inputName, new DenseTensor<byte>(data, shape));
        }
        else
        {
            var data = new float[views.Count * size];
            for (var i = 0; i < views.Count; i++)
            {
                views[i].Values!.CopyTo(data, i * size);
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
        var row = 0;
        for (var i = 0; i < images.Count; i++)
        {
            var count = images[i].Length;
            var rows = Enumerable.Range(row, count).Select(r => Enumerable.Range(0, classes).Select(k => logits[r, k]).ToArray()).ToList();
            row += count;
            var probabilities = count == 1 ? Activate(rows[0])
                : Options.AverageLogits ? Activate(Mean(rows.Select(r => r.Select(v => (double)v).ToArray()).ToList()).Select(v => (float)v).ToArray())
                : Mean(rows.Select(Activate).ToList());
            predictions.Add(Predicted(sources[i], probabilities));
        }

        return predictions;
    }

    private static double[] Mean(IReadOnlyList<double[]> rows) => [.. Enumerable.Range(0, rows[0].Length).Select(k => rows.Average(r => r[k]))];

    // The task's activation: softmax for one label, a sigmoid per class for several.
    private double[] Activate(float[] logits) => Description.Task == Inference.TaskNames.MultiLabel
        ? [.. logits.Select(l => (double)(1f / (1f + MathF.Exp(-l))))]
        : Softmax(logits);

    // The task's decision: the most probable class, or every class whose probability reaches its
    // threshold, most probable first.
    private Prediction Predicted(string source, double[] probabilities)
    {
        if (Description.Task != Inference.TaskNames.MultiLabel)
        {
            return new Prediction(source, ClassNames, probabilities);
        }

        var thresholds = Description.Thresholds;
        var predicted = Enumerable.Range(0, probabilities.Length)
            .Where(k => probabilities[k] >= (thresholds?[k] ?? Inference.TaskNames.DefaultThreshold))
            .OrderByDescending(k => probabilities[k]).ThenBy(k => k).ToList();
        return new Prediction(source, ClassNames, probabilities, predicted);
    }

    // Softmax in float32 as LibTorch computes it (subtract the maximum, exponentiate, divide by the sum).
    private static double[] Softmax(float[] logits)
    {
        var max = logits.Max();
        var exps = logits.Select(l => MathF.Exp(l - max)).ToArray();
        var sum = 0f;
        foreach (var e in exps)
        {
            sum += e;
        }

        return [.. exps.Select(e => (double)(e / sum))];
    }
}
