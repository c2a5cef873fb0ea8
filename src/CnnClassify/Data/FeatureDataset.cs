using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data;

/// <summary>
/// Samples that are already tensors of any type and shape, such as a frozen backbone's features
/// [N, F] with their labels, held in memory and gathered a batch at a time. The loader gives them
/// as they are (no transform).
/// </summary>
public sealed class FeatureDataset : IInMemoryDataset, IDisposable
{
    private readonly InMemoryRows _features;

    /// <summary>Wraps <paramref name="features"/>, which the dataset then owns.</summary>
    /// <param name="features">One row per sample, [N, ...], on the CPU.</param>
    /// <param name="labels">One label per row, in [0, classes).</param>
    /// <param name="classes">The class names.</param>
    /// <param name="sourceName">A name for messages.</param>
    /// <exception cref="ArgumentException">The counts differ or a label is out of range.</exception>
    public FeatureDataset(Tensor features, IReadOnlyList<long> labels, IReadOnlyList<string> classes, string sourceName = "features")
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classes);
        if (features.dim() < 1 || features.shape[0] != labels.Count)
        {
            throw new ArgumentException($"{sourceName}: {(features.dim() < 1 ? 0 : features.shape[0])} feature rows but {labels.Count} labels.", nameof(labels));
        }

        InMemoryRows.CheckLabels(labels, classes.Count, sourceName);
        _features = new InMemoryRows(features, labels, sourceName);
        Classes = classes;
    }

    /// <inheritdoc />
    public int Count => _features.Count;

    /// <inheritdoc />
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The shape of one sample's features, such as [512].</summary>
    public IReadOnlyList<long> FeatureShape => _features.RowShape;

    /// <inheritdoc />
    public long LabelAt(int index) => _features.LabelAt(index);

    /// <inheritdoc />
    public ImageSample Read(int index) => _features.Read(index);

    /// <inheritdoc />
    public Tensor ReadImages(IReadOnlyList<int> indices) => _features.Gather(indices);

    /// <summary>Frees the features.</summary>
    public void Dispose() => _features.Dispose();
}
