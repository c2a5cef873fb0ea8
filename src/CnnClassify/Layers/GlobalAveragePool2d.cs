namespace CnnClassify.Layers;

/// <summary>
/// Averages each channel over its height and width: [N, C, H, W] becomes [N, C], as Keras's
/// <c>GlobalAveragePooling2D</c> does. It has no parameters.
/// </summary>
public sealed class GlobalAveragePool2d() : GlobalPool2d(nameof(GlobalAveragePool2d), (input, axes) => input.mean(axes), "GlobalAveragePool");
