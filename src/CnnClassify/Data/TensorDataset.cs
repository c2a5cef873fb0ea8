using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data;

/// <summary>
/// Images and labels already in memory: images [N, C, H, W] or [N, H, W] (one channel) of
/// <c>uint8</c>, labels [N] of integers. IDX and CIFAR files load into this.
/// </summary>
public sealed class TensorDataset : IInMemoryDataset, IDisposable
{
    private readonly InMemoryRows _images;

    /// <summary>Creates the dataset; it takes ownership of <paramref name="images"/>.</summary>
    /// <param name="images">[N, C, H, W] or [N, H, W] <c>uint8</c> images on the CPU.</param>
    /// <param name="labels">N class indices, each in [0, classes).</param>
    /// <param name="classes">Class names.</param>
    /// <param name="sourceName">Names samples in messages, such as <c>train-images-idx3-ubyte</c>.</param>
    /// <exception cref="ArgumentException">The shapes, dtype or labels are inconsistent; the message says how.</exception>
    public TensorDataset(Tensor images, IReadOnlyList<long> labels, IReadOnlyList<string> classes, string sourceName = "tensor")
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classes);
        if (images.dtype != ScalarType.Byte || images.dim() is not (3 or 4))
        {
            throw new ArgumentException($"{sourceName}: images must be uint8 [N, H, W] or [N, C, H, W]; got {images.dtype} [{string.Join(", ", images.shape)}].", nameof(images));
        }

        if (images.shape[0] != labels.Count)
        {
            throw new ArgumentException($"{sourceName}: {images.shape[0]} images but {labels.Count} labels.", nameof(labels));
        }

        InMemoryRows.CheckLabels(labels, classes.Count, sourceName);
        _images = new InMemoryRows(images.dim() == 3 ? images.unsqueeze(1) : images.alias(), labels, sourceName);
        images.Dispose();
        Classes = classes;
    }

    /// <inheritdoc />
    public int Count => _images.Count;

    /// <inheritdoc />
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The shape of one image, [C, H, W].</summary>
    public IReadOnlyList<long> ImageShape => _images.RowShape;

    /// <inheritdoc />
    public long LabelAt(int index) => _images.LabelAt(index);

    /// <inheritdoc />
    public ImageSample Read(int index) => _images.Read(index);

    /// <inheritdoc />
    public Tensor ReadImages(IReadOnlyList<int> indices) => _images.Gather(indices);

    /// <inheritdoc />
    public void Dispose() => _images.Dispose();
}
