namespace CnnClassify.Layers;

/// <summary>
/// Takes each channel's maximum over its height and width: [N, C, H, W] becomes [N, C], as Keras's
/// <c>GlobalMaxPooling2D</c> does. It has no parameters.
/// </summary>
public sealed class GlobalMaxPool2d() : GlobalPool2d(nameof(GlobalMaxPool2d), (input, axes) => input.amax(axes), "GlobalMaxPool");
