namespace CnnClassify.Inference;

/// <summary>
/// The largest models a description may ask for. Checkpoints, ONNX files and command-line options
/// are checked against these before anything is allocated, so that a damaged or hostile file (an
/// input of 100,000 x 100,000 pixels, four million classes) is refused in one line instead of
/// exhausting memory. Where a file's own weights fix a size (the classes of a head, the input of a
/// model that flattens its features), the weights are compared with the description too.
/// </summary>
public static class ModelLimits
{
    /// <summary>Longest input side in pixels, and the longest shorter side an image is resized to first: 2,048.</summary>
    public const int MaxInputSide = 2048;

    /// <summary>Most classes a model may predict: 100,000 (ImageNet-21k has 21,843).</summary>
    public const int MaxClasses = 100_000;

    /// <summary>Most input channels: 256.</summary>
    public const int MaxInChannels = 256;

    /// <summary>Longest class name, in characters: 1,024.</summary>
    public const int MaxClassNameLength = 1024;

    /// <summary>Most bytes of a model description or of a checkpoint's <c>trainer.json</c>: 16 MiB.</summary>
    public const int MaxDescriptionBytes = 16 << 20;

    /// <summary>
    /// The problem with a description's sizes, or <see langword="null"/> when they are within the limits.
    /// </summary>
    /// <param name="numClasses">Classes.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="inputHeight">Input height.</param>
    /// <param name="inputWidth">Input width.</param>
    /// <param name="resizeSize">The shorter side before cropping, if any.</param>
    /// <param name="classNames">The class names.</param>
    /// <returns>A sentence fragment such as <c>"num_classes is 4,000,000, above the limit of 100,000"</c>.</returns>
    public static string? Check(int numClasses, int inChannels, int inputHeight, int inputWidth, int? resizeSize, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        return numClasses is < 1 or > MaxClasses ? $"num_classes is {numClasses:N0}; it must be 1 to {MaxClasses:N0}"
            : inChannels is < 1 or > MaxInChannels ? $"in_channels is {inChannels:N0}; it must be 1 to {MaxInChannels}"
            : inputHeight is < 1 or > MaxInputSide || inputWidth is < 1 or > MaxInputSide ? $"the input {inputHeight:N0}x{inputWidth:N0} is not 1 to {MaxInputSide:N0} pixels a side"
            : resizeSize is < 1 or > MaxInputSide ? $"the resize to {resizeSize:N0} pixels is not 1 to {MaxInputSide:N0}"
            : classNames.FirstOrDefault(n => n is null || n.Length > MaxClassNameLength) is { } name ? $"a class name is {(name is null ? "missing" : $"{name.Length:N0} characters long")}; at most {MaxClassNameLength:N0} are allowed"
            : null;
    }

    /// <summary>The problem with a normalisation's standard deviations, or <see langword="null"/> when each is finite and above 0.</summary>
    /// <param name="std">The standard deviations.</param>
    /// <param name="mean">The means.</param>
    public static string? CheckNormalization(IReadOnlyList<double> mean, IReadOnlyList<double> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        return std.Any(s => !(s > 0) || !double.IsFinite(s)) ? $"a standard deviation is {std.First(s => !(s > 0) || !double.IsFinite(s)).ToString(System.Globalization.CultureInfo.InvariantCulture)}; each must be finite and above 0"
            : mean.Any(m => !double.IsFinite(m)) ? "a mean is not a finite number"
            : null;
    }
}
