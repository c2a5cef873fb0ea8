namespace CnnClassify.Training;

/// <summary>
/// What a checkpoint records about its model so that it can be used for prediction on its own:
/// which model, its classes, and how its input was prepared.
/// </summary>
public sealed record CheckpointMetadata
{
    /// <summary>The model's <c>ModelZoo</c> name, such as <c>resnet18</c>, or <see langword="null"/> for a custom model.</summary>
    public string? ModelName { get; init; }

    /// <summary>Input channels the model was built for.</summary>
    public int InChannels { get; init; } = 3;

    /// <summary>Input height and width images are resized to.</summary>
    public int ImageSize { get; init; } = 224;

    /// <summary>Whether GoogLeNet was built with auxiliary heads.</summary>
    public bool AuxiliaryHeads { get; init; }

    /// <summary>The class names, in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>Per-channel normalisation means applied after scaling pixels to [0, 1].</summary>
    public IReadOnlyList<double> NormalizeMean { get; init; } = [];

    /// <summary>Per-channel normalisation standard deviations.</summary>
    public IReadOnlyList<double> NormalizeStd { get; init; } = [];
}
