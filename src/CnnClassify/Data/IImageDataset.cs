namespace CnnClassify.Data;

/// <summary>
/// A labelled image collection that can be read by index, from any thread. Images come as
/// <c>uint8</c> tensors of shape [channels, height, width]. Each sample has one class, or, in a
/// multi-label dataset (<see cref="IsMultiLabel"/>), a set of any number of them.
/// </summary>
public interface IImageDataset
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Class names; a label is an index into this list.</summary>
    IReadOnlyList<string> Classes { get; }

    /// <summary>The label of sample <paramref name="index"/>, without reading its image.</summary>
    /// <param name="index">From 0 to <see cref="Count"/> - 1.</param>
    /// <exception cref="InvalidOperationException">The dataset is multi-label; use <see cref="LabelsAt"/>.</exception>
    long LabelAt(int index);

    /// <summary>
    /// Whether samples hold sets of classes rather than one each. The data loader then gives
    /// multi-hot targets [N, classes] of <c>float32</c> instead of class indices [N].
    /// </summary>
    bool IsMultiLabel => false;

    /// <summary>The classes of sample <paramref name="index"/> in ascending order, without reading its image: one, or for a multi-label dataset any number.</summary>
    /// <param name="index">From 0 to <see cref="Count"/> - 1.</param>
    IReadOnlyList<int> LabelsAt(int index) => [checked((int)LabelAt(index))];

    /// <summary>Reads sample <paramref name="index"/>; the caller owns and disposes it.</summary>
    /// <param name="index">From 0 to <see cref="Count"/> - 1.</param>
    /// <exception cref="InvalidImageException">The sample's image cannot be decoded; the message names its file.</exception>
    ImageSample Read(int index);
}
