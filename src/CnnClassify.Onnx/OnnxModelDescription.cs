using System.Text.Json;
using System.Text.Json.Serialization;

namespace CnnClassify.Onnx;

/// <summary>
/// What an exported file says about its model, read from the ONNX metadata that
/// <c>ClassificationModel.ExportOnnx</c> writes: input size, classes, preprocessing, and whether
/// the graph takes raw pixels.
/// </summary>
public sealed record OnnxModelDescription
{
    /// <summary>Metadata key of the model configuration (JSON).</summary>
    internal const string ConfigurationKey = "cnnclassify.model_configuration";

    /// <summary>Metadata key of the input kind.</summary>
    internal const string InputKey = "cnnclassify.input";

    // The int8 export's description of itself (OnnxExporter.QuantizationKey in the training library).
    private const string QuantizationKey = "cnnclassify.quantization";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The zoo architecture, such as <c>resnet18</c>; <see langword="null"/> for builder and custom models.</summary>
    public string? Architecture { get; init; }

    /// <summary>Input channels: 1 (grayscale) or 3 (RGB).</summary>
    public int InChannels { get; init; }

    /// <summary>Input height in pixels.</summary>
    public int InputHeight { get; init; }

    /// <summary>Input width in pixels.</summary>
    public int InputWidth { get; init; }

    /// <summary>The class names in label order (the label numbers when the model had none).</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>Length of the shorter side before the centre crop; <see langword="null"/> resizes straight to the input size.</summary>
    public int? ResizeSize { get; init; }

    /// <summary>The resize's resampling: <c>bilinear</c>, <c>bicubic</c> or <c>nearest</c>.</summary>
    public string Interpolation { get; init; } = "bilinear";

    /// <summary>Per-channel means subtracted after scaling to [0, 1]; empty for none.</summary>
    public IReadOnlyList<double> Mean { get; init; } = [];

    /// <summary>Per-channel standard deviations.</summary>
    public IReadOnlyList<double> Std { get; init; } = [];

    /// <summary>Whether photos are turned upright by their EXIF orientation before anything else, as the model was trained.</summary>
    public bool ApplyExifOrientation { get; init; }

    /// <summary>Whether the graph takes uint8 pixels and scales and normalises them itself.</summary>
    public bool TakesPixels { get; init; }

    /// <summary>The task the model was trained for (<see cref="Inference.TaskNames"/>), which says how its logits become probabilities.</summary>
    public string Task { get; init; } = Inference.TaskNames.SingleLabel;

    /// <summary>A multi-label model's decision threshold per class, in label order; <see langword="null"/> for <see cref="Inference.TaskNames.DefaultThreshold"/> everywhere.</summary>
    public IReadOnlyList<double>? Thresholds { get; init; }

    /// <summary>
    /// How an int8 file was made, as the JSON of its <c>cnnclassify.quantization</c> metadata (format,
    /// weight and activation types, calibration method and image count, layers kept in float);
    /// <see langword="null"/> for a float32 file.
    /// </summary>
    public string? Quantization { get; init; }

    /// <summary>Reads the description from a model's metadata.</summary>
    /// <param name="metadata">ONNX Runtime's custom metadata map.</param>
    /// <param name="source">The file, for messages.</param>
    /// <exception cref="InvalidDataException">The metadata is missing or inconsistent; the message names <paramref name="source"/>.</exception>
    internal static OnnxModelDescription Read(IReadOnlyDictionary<string, string> metadata, string source)
    {
        if (!metadata.TryGetValue(ConfigurationKey, out var json))
        {
            throw new InvalidDataException($"'{source}' has no '{ConfigurationKey}' metadata, so its input size, classes and preprocessing are unknown; export the model with CnnClassify's ClassificationModel.ExportOnnx (or 'cnnclassify export').");
        }

        if (json.Length > Inference.ModelLimits.MaxDescriptionBytes)
        {
            throw new InvalidDataException($"'{source}': the '{ConfigurationKey}' metadata holds {json.Length:N0} characters, more than a model description may ({Inference.ModelLimits.MaxDescriptionBytes:N0}).");
        }

        Stored? stored;
        try
        {
            stored = JsonSerializer.Deserialize<Stored>(json, Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{source}': the '{ConfigurationKey}' metadata is not valid JSON ({ex.Message}).", ex);
        }

        var preprocessing = stored?.Preprocessing ?? new StoredPreprocessing();
        string? problem = stored is null || stored.ClassNames is null || preprocessing.Mean is null || preprocessing.Std is null ? "it is empty or has null parts"
            : stored.InChannels is not (1 or 3) ? $"in_channels is {stored.InChannels}; images have 1 or 3"
            : Inference.ModelLimits.Check(stored.NumClasses, stored.InChannels, stored.InputHeight, stored.InputWidth, preprocessing.ResizeSize, stored.ClassNames) is { } limit ? limit
            : Inference.ModelLimits.CheckNormalization(preprocessing.Mean, preprocessing.Std) is { } normalization ? normalization
            : stored.ClassNames.Count is not 0 && stored.ClassNames.Count != stored.NumClasses ? $"it lists {stored.ClassNames.Count} class names for {stored.NumClasses} classes"
            : preprocessing.Mean.Count != preprocessing.Std.Count || (preprocessing.Mean.Count is not (0 or 1) && preprocessing.Mean.Count != stored.InChannels) ? "its means and standard deviations do not fit the channels"
            : preprocessing.Interpolation is not ("bilinear" or "bicubic" or "nearest") ? $"the interpolation '{preprocessing.Interpolation}' is not bilinear, bicubic or nearest"
            : Inference.TaskNames.CheckThresholds(stored.Thresholds, stored.NumClasses);
        if (problem is not null)
        {
            throw new InvalidDataException($"'{source}': the model description in its metadata is inconsistent: {problem}.");
        }

        var task = Inference.TaskNames.Check(stored!.Task, $"'{source}'");
        return new OnnxModelDescription
        {
            Architecture = stored.Architecture,
            Task = task,
            Thresholds = stored.Thresholds,
            InChannels = stored.InChannels,
            InputHeight = stored.InputHeight,
            InputWidth = stored.InputWidth,
            ClassNames = stored.ClassNames!.Count > 0 ? stored.ClassNames : [.. Enumerable.Range(0, stored.NumClasses).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))],
            ResizeSize = preprocessing.ResizeSize,
            Interpolation = preprocessing.Interpolation,
            Mean = preprocessing.Mean!,
            Std = preprocessing.Std!,
            ApplyExifOrientation = preprocessing.ApplyExifOrientation,
            TakesPixels = metadata.TryGetValue(InputKey, out var input) && input == "uint8_pixels",
            Quantization = metadata.TryGetValue(QuantizationKey, out var quantization) && quantization.Length <= Inference.ModelLimits.MaxDescriptionBytes ? quantization : null,
        };
    }

    private sealed record Stored
    {
        public string? Architecture { get; init; }

        public int NumClasses { get; init; }

        public int InChannels { get; init; }

        public int InputHeight { get; init; }

        public int InputWidth { get; init; }

        public List<string> ClassNames { get; init; } = [];

        public string? Task { get; init; }

        public List<double>? Thresholds { get; init; }

        public StoredPreprocessing? Preprocessing { get; init; }
    }

    private sealed record StoredPreprocessing
    {
        public int? ResizeSize { get; init; }

        [JsonPropertyName("interpolation")]
        public string Interpolation { get; init; } = "bilinear";

        public List<double> Mean { get; init; } = [];

        public List<double> Std { get; init; } = [];

        public bool ApplyExifOrientation { get; init; }
    }
}
