namespace CnnClassify.Data;

/// <summary>
/// A labelled image collection that can be read by index, from any thread. Images come as
/// <c>uint8</c> tensors of shape [channels, height, width].
/// </summary>
public interface IImageDataset
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Class names; a label is an index into this list.</summary>
    IReadOnlyList<string> Classes { get; }

    /// <summary>The label of sample <paramref name="index"/>, without reading its image.</summary>
    /// <param name="index">From 0 to <see cref="Count"/> - 1.</param>
    long LabelAt(int index);

    /// <summary>Reads sample <paramref name="index"/>; the caller owns and disposes it.</summary>
    /// <param name="index">From 0 to <see cref="Count"/> - 1.</param>
    /// <exception cref="InvalidImageException">The sample's image cannot be decoded; the message names its file.</exception>
    ImageSample Read(int index);
}
