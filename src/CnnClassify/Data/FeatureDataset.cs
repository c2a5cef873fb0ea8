using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data;

/// <summary>
/// Samples that are already tensors of any type and shape, such as a frozen backbone's features
/// [N, F] with their labels (or, for multi-label data, their sets of labels), held in memory and
/// gathered a batch at a time. The loader gives them as they are (no transform).
/// </summary>
public sealed class FeatureDataset : IInMemoryDataset, IDisposable
{
    private readonly InMemoryRows _features;
    private readonly int[][]? _labelSets;

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

    /// <summary>Wraps the features of multi-label samples, which the dataset then owns.</summary>
    /// <param name="features">One row per sample, [N, ...], on the CPU.</param>
    /// <param name="labelSets">Each row's classes (any number), each in [0, classes).</param>
    /// <param name="classes">The class names.</param>
    /// <param name="sourceName">A name for messages.</param>
    /// <exception cref="ArgumentException">The counts differ or a label is out of range.</exception>
    public FeatureDataset(Tensor features, IReadOnlyList<IReadOnlyList<int>> labelSets, IReadOnlyList<string> classes, string sourceName = "features")
        : this(features, Placeholders(labelSets, classes, sourceName), classes, sourceName)
    {
        _labelSets = [.. labelSets.Select(set => set.Order().Distinct().ToArray())];
    }

    /// <inheritdoc />
    public int Count => _features.Count;

    /// <inheritdoc />
    public bool IsMultiLabel => _labelSets is not null;

    /// <inheritdoc />
    public IReadOnlyList<int> LabelsAt(int index)
    {
        DatasetArguments.Index(index, Count);
        return _labelSets?[index] ?? [checked((int)_features.LabelAt(index))];
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The shape of one sample's features, such as [512].</summary>
    public IReadOnlyList<long> FeatureShape => _features.RowShape;

    /// <inheritdoc />
    public long LabelAt(int index) => _labelSets is null
        ? _features.LabelAt(index)
        : throw new InvalidOperationException("These features are of multi-label samples: each holds a set of classes (LabelsAt), not one.");

    /// <inheritdoc />
    public ImageSample Read(int index)
    {
        var sample = _features.Read(index);
        return _labelSets is null ? sample : sample with { Label = -1 };
    }

    /// <inheritdoc />
    public Tensor ReadImages(IReadOnlyList<int> indices) => _features.Gather(indices);

    // The single labels the rows stand on for a multi-label dataset, after its sets are checked.
    private static long[] Placeholders(IReadOnlyList<IReadOnlyList<int>> labelSets, IReadOnlyList<string> classes, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(labelSets);
        ArgumentNullException.ThrowIfNull(classes);
        InMemoryRows.CheckLabels([.. labelSets.SelectMany(set => set).Select(l => (long)l)], classes.Count, sourceName);
        return new long[labelSets.Count];
    }

    /// <summary>Frees the features.</summary>
    public void Dispose() => _features.Dispose();
}
