namespace CnnClassify.Inference;

/// <summary>
/// What a deployed model is, as its checkpoint or ONNX metadata records it: the classes, the input,
/// the preprocessing and the task. Hosts show it (a server's description endpoint) and never derive
/// it from anything else.
/// </summary>
public sealed record ClassifierDescription
{
    /// <summary>The architecture's name (a zoo name such as <c>resnet18</c>), when recorded.</summary>
    public string? Architecture { get; init; }

    /// <summary>What runs the model: <c>onnxruntime</c> or <c>libtorch</c>.</summary>
    public required string Runtime { get; init; }

    /// <summary>The class names, in label order.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>1 (grayscale) or 3 (RGB).</summary>
    public int InChannels { get; init; }

    /// <summary>The model's input height in pixels.</summary>
    public int InputHeight { get; init; }

    /// <summary>The model's input width in pixels.</summary>
    public int InputWidth { get; init; }

    /// <summary>The shorter side images are resized to before the centre crop; <see langword="null"/> when they are resized straight to the input.</summary>
    public int? ResizeSize { get; init; }

    /// <summary>The resize's interpolation, in lower case (<c>bilinear</c>, <c>bicubic</c>, <c>nearest</c>).</summary>
    public string Interpolation { get; init; } = "bilinear";

    /// <summary>Per-channel means subtracted after scaling to [0, 1]; empty for none.</summary>
    public IReadOnlyList<double> Mean { get; init; } = [];

    /// <summary>Per-channel standard deviations divided by; empty for none.</summary>
    public IReadOnlyList<double> Std { get; init; } = [];

    /// <summary>Whether images are turned upright by their EXIF orientation first.</summary>
    public bool ApplyExifOrientation { get; init; }

    /// <summary><see cref="TaskNames.SingleLabel"/> or <see cref="TaskNames.MultiLabel"/>.</summary>
    public string Task { get; init; } = TaskNames.SingleLabel;

    /// <summary>A multi-label model's decision threshold per class; <see langword="null"/> for <see cref="TaskNames.DefaultThreshold"/> everywhere.</summary>
    public IReadOnlyList<double>? Thresholds { get; init; }

    /// <summary>
    /// How an int8 ONNX model was quantized, as the JSON its file records (format, weight and
    /// activation types, calibration method and image count); <see langword="null"/> for float32
    /// models and checkpoints.
    /// </summary>
    public string? Quantization { get; init; }
}
