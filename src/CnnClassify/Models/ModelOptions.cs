namespace CnnClassify.Models;

/// <summary>Options for creating a model from the <see cref="ModelZoo"/>; every model takes the same set.</summary>
public sealed record ModelOptions
{
    /// <summary>Classes the head predicts; at least 1. Default 1,000, as ImageNet.</summary>
    public int NumClasses { get; init; } = 1000;

    /// <summary>Input channels: 3 for RGB, 1 for grayscale; <see langword="null"/> takes the model's own (1 for SimpleCNN and LeNet-5, 3 for the ImageNet models).</summary>
    public int? InChannels { get; init; }

    /// <summary>
    /// Input height and width for models whose head depends on it (LeNet-5, SimpleCNN; default 28);
    /// the ImageNet models adapt to any size and describe themselves as 224x224.
    /// </summary>
    public int? ImageSize { get; init; }

    /// <summary>Whether GoogLeNet gets its auxiliary heads; other models ignore it.</summary>
    public bool AuxiliaryHeads { get; init; }

    /// <summary>Whether GoogLeNet rescales ImageNet-normalised input to [-1, 1] (torchvision's <c>transform_input</c>); other models ignore it.</summary>
    public bool TransformInput { get; init; }
}
