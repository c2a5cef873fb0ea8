namespace CnnClassify.Inference;

/// <summary>
/// A classifier split where a server batches: each image is prepared on its own (decoded, resized,
/// cropped and normalised; safe on many threads at once), and prepared images are classified
/// together in one run of the model. Both predictors implement it, so a host such as the ASP.NET
/// Core package drives either the same way.
/// </summary>
public interface IImageClassifier : IDisposable
{
    /// <summary>What the model is: classes, input, preprocessing and task.</summary>
    ClassifierDescription Description { get; }

    /// <summary>Decodes and prepares one image for <see cref="Classify"/>.</summary>
    /// <param name="stream">A seekable stream holding an encoded image.</param>
    /// <param name="sourceName">A name for messages and the result.</param>
    /// <returns>The model's input for the image; the caller disposes it.</returns>
    /// <exception cref="Data.InvalidImageException">The image cannot be used (empty, damaged, not an image, too many pixels); the message names it.</exception>
    PreparedImage Prepare(Stream stream, string sourceName);

    /// <summary>Runs the model once on prepared images.</summary>
    /// <param name="images">Images from this classifier's <see cref="Prepare"/>; they are not disposed.</param>
    /// <returns>One prediction per image, in order.</returns>
    IReadOnlyList<Prediction> Classify(IReadOnlyList<PreparedImage> images);
}
