namespace CnnClassify.Models;

/// <summary>Options for creating a model from the <see cref="ModelZoo"/>; every model takes the same set.</summary>
public sealed record ModelOptions
{
    /// <summary>Classes the head predicts; at least 1. Default 1,000, as ImageNet.</summary>
    public int NumClasses { get; init; } = 1000;

    /// <summary>Input channels: 3 for RGB (the default), 1 for grayscale.</summary>
    public int InChannels { get; init; } = 3;

    /// <summary>Input height and width for models whose head depends on it (LeNet-5, SimpleCNN); others adapt to any size.</summary>
    public int ImageSize { get; init; } = 28;

    /// <summary>Whether GoogLeNet gets its auxiliary heads; other models ignore it.</summary>
    public bool AuxiliaryHeads { get; init; }
}
