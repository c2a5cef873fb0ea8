using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;

namespace CnnClassify.Models;

/// <summary>
/// Everything that describes a model apart from its weights: its architecture (a zoo name or the
/// builder's layer list), its input, its classes and its evaluation preprocessing. Every
/// <see cref="ClassificationModel"/> carries one; the trainer writes it into checkpoints, and
/// <c>Checkpoint.LoadModel(path)</c> and <c>Predictor.FromCheckpoint(path)</c> rebuild the model
/// and its preprocessing from it, so none of it is written twice.
/// </summary>
public sealed record ModelConfiguration
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        WriteIndented = true,
        // A layer's "kind" may come anywhere in its object, as a person editing the JSON would expect.
        AllowOutOfOrderMetadataProperties = true,
    };

    /// <summary>The <see cref="ModelZoo"/> name, such as <c>resnet18</c>; <see langword="null"/> for builder and custom models.</summary>
    public string? Architecture { get; init; }

    /// <summary>The layer list of a model made by <see cref="CnnBuilder"/>; <see langword="null"/> for others.</summary>
    public CnnArchitecture? Layers { get; init; }

    /// <summary>Classes the model predicts.</summary>
    public int NumClasses { get; init; }

    /// <summary>Input channels: 1 for grayscale, 3 for RGB.</summary>
    public int InChannels { get; init; } = 3;

    /// <summary>Input height in pixels.</summary>
    public int InputHeight { get; init; } = 224;

    /// <summary>Input width in pixels.</summary>
    public int InputWidth { get; init; } = 224;

    /// <summary>Whether GoogLeNet has its auxiliary heads; other models ignore it.</summary>
    public bool AuxiliaryHeads { get; init; }

    /// <summary>Whether GoogLeNet rescales ImageNet-normalised input to [-1, 1], as its published weights need; other models ignore it.</summary>
    public bool TransformInput { get; init; }

    /// <summary>The class names in label order; empty until known (the trainer fills them in from the training data).</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>
    /// The task the head is trained for, by name (<see cref="Inference.TaskNames"/>): <c>single-label</c>,
    /// one class per image. Descriptions written before tasks were recorded read as single-label.
    /// </summary>
    public string Task { get; init; } = Inference.TaskNames.SingleLabel;

    /// <summary>
    /// A multi-label model's decision thresholds, one probability per class in label order (chosen
    /// on validation data, for example by <c>ThresholdTuning</c>); <see langword="null"/> applies
    /// <see cref="Inference.TaskNames.DefaultThreshold"/> to every class. Single-label models ignore them.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<double>? Thresholds { get; init; }

    /// <summary>How images are prepared at evaluation and prediction time.</summary>
    public Preprocessing Preprocessing { get; init; } = new();

    /// <summary>How images are decoded: grayscale for one input channel, else RGB.</summary>
    [JsonIgnore]
    public ColorMode ColorMode => InChannels == 1 ? ColorMode.Grayscale : ColorMode.Rgb;

    /// <summary>The configuration of an ImageNet-style model: 3x224x224 (or <paramref name="inChannels"/>), shorter side 256 then centre crop, ImageNet normalisation.</summary>
    /// <param name="architecture">The zoo name, or <see langword="null"/>.</param>
    /// <param name="numClasses">Classes the model predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    public static ModelConfiguration ImageNet(string? architecture, int numClasses, int inChannels) => new()
    {
        Architecture = architecture,
        NumClasses = numClasses,
        InChannels = inChannels,
        Preprocessing = Preprocessing.ImageNet(inChannels),
    };

    /// <summary>The configuration of a small-image model such as SimpleCNN: a fixed square input, resized straight to it, no normalisation.</summary>
    /// <param name="architecture">The zoo name, or <see langword="null"/>.</param>
    /// <param name="numClasses">Classes the model predicts.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="imageSize">Input height and width.</param>
    public static ModelConfiguration SmallImages(string? architecture, int numClasses, int inChannels, int imageSize) => new()
    {
        Architecture = architecture,
        NumClasses = numClasses,
        InChannels = inChannels,
        InputHeight = imageSize,
        InputWidth = imageSize,
    };

    /// <summary>The evaluation transform from a decoded uint8 image [C, H, W] to the model's input, as <see cref="Preprocessing"/> describes.</summary>
    public IImageTransform EvalTransform() => Preprocessing.Transform(InputHeight, InputWidth);

    /// <summary>The configuration as JSON, with snake_case names.</summary>
    public JsonNode ToJson() => JsonSerializer.SerializeToNode(this, Json)!;

    /// <summary>Reads a configuration written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON.</param>
    /// <param name="source">The file it came from, for messages.</param>
    /// <exception cref="InvalidDataException">The JSON is not a valid configuration; the message names <paramref name="source"/>.</exception>
    public static ModelConfiguration FromJson(JsonNode json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        ModelConfiguration? configuration;
        try
        {
            configuration = json.Deserialize<ModelConfiguration>(Json);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            // A value of the wrong type or a repeated key in hand-edited JSON, as well as malformed JSON.
            throw new InvalidDataException($"'{source}': the model configuration is not valid ({ex.Message}).", ex);
        }

        if (configuration is null)
        {
            throw new InvalidDataException($"'{source}' has no model configuration.");
        }

        configuration.Validate(source);
        return configuration;
    }

    /// <summary>
    /// Checks that the parts agree and are within <see cref="Inference.ModelLimits"/>: sizes and
    /// class counts in range, as many class names as classes (or none), as many means as stds, and
    /// standard deviations finite and above 0.
    /// </summary>
    /// <param name="source">What the configuration belongs to, for messages.</param>
    /// <exception cref="InvalidDataException">A part is wrong; the message names it.</exception>
    public void Validate(string source)
    {
        var problem = ClassNames is null || Preprocessing is null ? "its class names or preprocessing are missing"
            : Inference.ModelLimits.Check(NumClasses, InChannels, InputHeight, InputWidth, Preprocessing.ResizeSize, ClassNames)
            ?? (ClassNames.Count != 0 && ClassNames.Count != NumClasses ? $"it lists {ClassNames.Count} class names for {NumClasses} classes"
            : Preprocessing.Mean.Count != Preprocessing.Std.Count ? "its normalisation has a different number of means and standard deviations"
            : Preprocessing.Mean.Count is not 0 && Preprocessing.Mean.Count != InChannels ? $"its normalisation has {Preprocessing.Mean.Count} means for {InChannels} input channels"
            : Inference.ModelLimits.CheckNormalization(Preprocessing.Mean, Preprocessing.Std) is { } normalization ? $"its normalisation is invalid: {normalization}"
            : Inference.TaskNames.CheckThresholds(Thresholds, NumClasses));
        if (problem is not null)
        {
            throw new InvalidDataException($"'{source}': the model configuration is inconsistent: {problem}.");
        }

        Inference.TaskNames.Check(Task, $"'{source}'");
    }
}
