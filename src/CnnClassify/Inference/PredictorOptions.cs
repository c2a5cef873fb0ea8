namespace CnnClassify.Inference;

/// <summary>How a <see cref="Predictor"/> prepares images and reads its model's output.</summary>
public sealed record PredictorOptions
{
    /// <summary>The class names, in label order; their count must match the model's outputs.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>Input channels: 1 decodes images as grayscale, 3 as RGB.</summary>
    public int InChannels { get; init; } = 3;

    /// <summary>Images are resized (bilinear) to this height and width.</summary>
    public int ImageSize { get; init; } = 224;

    /// <summary>Per-channel means for normalisation after scaling to [0, 1]; empty for none.</summary>
    public IReadOnlyList<double> Mean { get; init; } = [];

    /// <summary>Per-channel standard deviations; as many as <see cref="Mean"/>.</summary>
    public IReadOnlyList<double> Std { get; init; } = [];

    /// <summary>Whether to average the probabilities of the image and its mirror image (test-time augmentation).</summary>
    public bool TestTimeAugmentation { get; init; }

    /// <summary>
    /// Whether to feed the model channels-last batches
    /// (<see cref="Interop.ChannelsLastExtensions.ToChannelsLast"/>), which convolutions read faster.
    /// </summary>
    public bool ChannelsLast { get; init; }

    /// <summary>Largest width x height accepted when decoding.</summary>
    public long MaxPixels { get; init; } = Data.ImageDecoder.DefaultMaxPixels;
}
