using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data;

/// <summary>
/// One tensor's rows with a label each, read one at a time or gathered a batch at a time: what
/// <see cref="TensorDataset"/> (images) and <see cref="FeatureDataset"/> (features) hold.
/// </summary>
internal sealed class InMemoryRows : IDisposable
{
    private readonly Tensor _rows;
    private readonly long[] _labels;
    private readonly string _sourceName;

    /// <summary>Keeps <paramref name="rows"/>, which it then owns; check the labels first with <see cref="CheckLabels"/>.</summary>
    public InMemoryRows(Tensor rows, IReadOnlyList<long> labels, string sourceName)
    {
        _rows = rows;
        _labels = [.. labels];
        _sourceName = sourceName;
    }

    public int Count => _labels.Length;

    /// <summary>The shape of one row.</summary>
    public IReadOnlyList<long> RowShape => _rows.shape[1..];

    /// <summary>Refuses a label outside [0, <paramref name="classCount"/>), naming the sample.</summary>
    /// <exception cref="ArgumentException">A label is out of range.</exception>
    public static void CheckLabels(IReadOnlyList<long> labels, int classCount, string sourceName)
    {
        var bad = labels.Select((label, i) => (label, i)).FirstOrDefault(pair => pair.label < 0 || pair.label >= classCount);
        if (labels.Count > 0 && (bad.label < 0 || bad.label >= classCount))
        {
            throw new ArgumentException($"{sourceName}: label {bad.label} of sample {bad.i} is outside [0, {classCount}).", nameof(labels));
        }
    }

    public long LabelAt(int index)
    {
        DatasetArguments.Index(index, Count);
        return _labels[index];
    }

    /// <summary>A copy of row <paramref name="index"/> with its label, named <c>source[index]</c>.</summary>
    public ImageSample Read(int index)
    {
        DatasetArguments.Index(index, Count);
        using var view = _rows[index];
        return new ImageSample(view.clone(), _labels[index], $"{_sourceName}[{index}]");
    }

    /// <summary>The rows at <paramref name="indices"/>, in that order, in one gather.</summary>
    public Tensor Gather(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        foreach (var index in indices)
        {
            DatasetArguments.Index(index, Count);
        }

        using var positions = torch.tensor(indices.Select(i => (long)i).ToArray());
        return _rows.index_select(0, positions);
    }

    public void Dispose() => _rows.Dispose();
}
