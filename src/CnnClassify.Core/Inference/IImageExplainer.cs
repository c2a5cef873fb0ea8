namespace CnnClassify.Inference;

/// <summary>
/// A classifier that can also show where it looks: a Grad-CAM heatmap over the prepared image.
/// The LibTorch predictor implements it; an ONNX Runtime graph has no gradients to give one.
/// </summary>
public interface IImageExplainer
{
    /// <summary>The Grad-CAM overlay for one prepared image.</summary>
    /// <param name="image">An image from the same classifier's <see cref="IImageClassifier.Prepare"/>.</param>
    /// <param name="className">The class to explain; <see langword="null"/> for the most probable one.</param>
    /// <returns>The explained class and the overlay as a PNG.</returns>
    /// <exception cref="ArgumentException">No such class; the message lists the model's classes.</exception>
    ExplainedOverlay Explain(PreparedImage image, string? className = null);
}

/// <summary>A class activation map blended over the image the model saw.</summary>
/// <param name="ClassName">The class the map explains.</param>
/// <param name="Png">The overlay, PNG-encoded.</param>
public sealed record ExplainedOverlay(string ClassName, byte[] Png);
