using CnnClassify.Native;
using CnnClassify.Runtime;
using CnnClassify.Training;
using static TorchSharp.torch;

namespace CnnClassify.Inference;

/// <summary>How a <see cref="Predictor"/> runs; what the images need (size, colour, normalisation, classes) comes from the model's configuration.</summary>
public sealed record PredictorOptions
{
    /// <summary>
    /// Test-time augmentation: each image's views (<see cref="TestTimeAugmentation.Flip"/>,
    /// <see cref="TestTimeAugmentation.FiveCrop"/>, <see cref="TestTimeAugmentation.TenCrop"/> or
    /// <see cref="TestTimeAugmentation.Augmented"/>) run in one forward pass and are averaged, as
    /// on the evaluation path; random views draw the same numbers for every image, so a prediction
    /// repeats. <see langword="null"/> (the default) runs the image once.
    /// </summary>
    public TestTimeAugmentation? TestTimeAugmentation { get; init; }

    /// <summary>
    /// Whether to feed the model channels-last batches
    /// (<see cref="Native.ChannelsLastExtensions.ToChannelsLast"/>), which convolutions read faster.
    /// </summary>
    public bool ChannelsLast { get; init; }

    /// <summary>
    /// The forward pass's precision: <see cref="Precision.Auto"/> (the default: bf16 on a CPU with
    /// native bf16, float16 on CUDA, float32 elsewhere; see <see cref="PrecisionChoice"/>), or an
    /// explicit float32, bf16 or fp16. Outputs are float32 either way.
    /// </summary>
    public Precision Precision { get; init; } = Precision.Auto;

    /// <summary>Where a predictor made from a checkpoint runs; <see langword="null"/> for the CPU. A model passed in stays where it is.</summary>
    public Device? Device { get; init; }

    /// <summary>Largest width x height accepted when decoding.</summary>
    public long MaxPixels { get; init; } = Data.ImageDecoder.DefaultMaxPixels;

    /// <summary>
    /// Whether the process keeps the native memory LibTorch frees, so that each batch reuses the
    /// last one's pages (on by default; see <c>TrainerBuilder.UseNativeMemoryReuse</c>, which sets
    /// the same process-wide C library thresholds).
    /// </summary>
    public bool ReuseNativeMemory { get; init; } = true;

    /// <summary>The options as the evaluation path takes them.</summary>
    internal InferenceOptions Inference => new() { Precision = Precision, ChannelsLast = ChannelsLast };
}
