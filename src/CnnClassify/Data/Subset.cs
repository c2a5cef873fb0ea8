namespace CnnClassify.Data;

/// <summary>A view of some samples of another dataset, in a given order.</summary>
public sealed class Subset : IImageDataset
{
    private readonly IImageDataset _source;
    private readonly int[] _indices;

    /// <summary>Creates the view.</summary>
    /// <param name="source">The full dataset.</param>
    /// <param name="indices">Indices into <paramref name="source"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the source.</exception>
    public Subset(IImageDataset source, IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(indices);
        _source = source;
        _indices = [.. indices];
        foreach (var index in _indices)
        {
            DatasetArguments.Index(index, source.Count);
        }
    }

    /// <summary>The full dataset this is a view of.</summary>
    public IImageDataset Source => _source;

    /// <summary>The indices into the source dataset.</summary>
    public IReadOnlyList<int> Indices => _indices;

    /// <inheritdoc />
    public int Count => _indices.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> Classes => _source.Classes;

    /// <inheritdoc />
    public long LabelAt(int index)
    {
        DatasetArguments.Index(index, Count);
        return _source.LabelAt(_indices[index]);
    }

    /// <inheritdoc />
    public bool IsMultiLabel => _source.IsMultiLabel;

    /// <inheritdoc />
    public IReadOnlyList<int> LabelsAt(int index)
    {
        DatasetArguments.Index(index, Count);
        return _source.LabelsAt(_indices[index]);
    }

    /// <inheritdoc />
    public ImageSample Read(int index)
    {
        DatasetArguments.Index(index, Count);
        return _source.Read(_indices[index]);
    }
}
