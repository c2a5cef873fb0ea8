using CnnClassify.Native;

namespace CnnClassify.Runtime;

/// <summary>
/// How a model runs when it evaluates or predicts; the trainer's validation, <c>PredictionSet.Collect</c>
/// and <c>Predictor</c> all run through the same code with these settings.
/// </summary>
public sealed record InferenceOptions
{
    /// <summary>The forward pass's precision: float32, or bf16/fp16 autocast. Outputs are always float32.</summary>
    public Precision Precision { get; init; }

    /// <summary>Whether batches are fed in the channels-last memory layout (<see cref="Native.ChannelsLastExtensions.ToChannelsLast"/>).</summary>
    public bool ChannelsLast { get; init; }

    /// <summary>
    /// The views each image is evaluated in and how they are averaged (flip, five or ten crops,
    /// augmented views); <see langword="null"/> for the image as the loader gives it. Evaluation and
    /// <c>PredictionSet.Collect</c> use it; the trainer's validation does not.
    /// </summary>
    public TestTimeAugmentation? TestTimeAugmentation { get; init; }
}
