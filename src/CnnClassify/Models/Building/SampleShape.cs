using System.Globalization;

namespace CnnClassify.Models;

/// <summary>
/// The shape of one sample, without the batch dimension: <c>channels x height x width</c> for an
/// image, or <c>features</c> for a flat vector.
/// </summary>
public sealed class SampleShape : IEquatable<SampleShape>
{
    private readonly long[] _dimensions;

    /// <summary>Creates a shape from its dimensions, outermost first.</summary>
    /// <param name="dimensions">Each at least 1; none for a scalar per sample.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is below 1.</exception>
    public SampleShape(params long[] dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        for (var i = 0; i < dimensions.Length; i++)
        {
            if (dimensions[i] < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions[i],
                    $"Dimension {i} of shape {Format(dimensions)} must be at least 1.");
            }
        }

        _dimensions = (long[])dimensions.Clone();
    }

    /// <summary>The dimensions, outermost first.</summary>
    public IReadOnlyList<long> Dimensions => _dimensions;

    /// <summary>The number of dimensions: 3 for an image, 1 for a vector.</summary>
    public int Rank => _dimensions.Length;

    /// <summary>Whether this is an image shape, <c>channels x height x width</c>.</summary>
    public bool IsImage => Rank == 3;

    /// <summary>Channels of an image shape, or the length of a vector shape.</summary>
    /// <exception cref="InvalidOperationException">The shape is neither an image nor a vector.</exception>
    public long Channels => Rank is 3 or 1 ? _dimensions[0] : throw new InvalidOperationException($"Shape {this} has no channel dimension.");

    /// <summary>Height of an image shape.</summary>
    /// <exception cref="InvalidOperationException">The shape is not an image.</exception>
    public long Height => IsImage ? _dimensions[1] : throw new InvalidOperationException($"Shape {this} is not an image.");

    /// <summary>Width of an image shape.</summary>
    /// <exception cref="InvalidOperationException">The shape is not an image.</exception>
    public long Width => IsImage ? _dimensions[2] : throw new InvalidOperationException($"Shape {this} is not an image.");

    /// <summary>The number of elements in one sample.</summary>
    public long ElementCount => _dimensions.Aggregate(1L, (product, dimension) => checked(product * dimension));

    /// <summary>An image shape.</summary>
    /// <param name="channels">Channels, such as 1 for grayscale or 3 for RGB.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="width">Width in pixels.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is below 1.</exception>
    public static SampleShape Image(long channels, long height, long width) => new(channels, height, width);

    /// <summary>A flat vector shape.</summary>
    /// <param name="features">Its length.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="features"/> is below 1.</exception>
    public static SampleShape Vector(long features) => new(features);

    /// <summary>The shape of a batch of <paramref name="batchSize"/> such samples.</summary>
    /// <param name="batchSize">The batch size, at least 1.</param>
    public long[] WithBatch(long batchSize) => [batchSize, .. _dimensions];

    /// <inheritdoc />
    public bool Equals(SampleShape? other) => other is not null && _dimensions.AsSpan().SequenceEqual(other._dimensions);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SampleShape);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (var dimension in _dimensions)
        {
            hash.Add(dimension);
        }

        return hash.ToHashCode();
    }

    /// <summary>The dimensions joined by <c>x</c>, such as <c>128x3x3</c>, or <c>scalar</c>.</summary>
    public override string ToString() => Format(_dimensions);

    internal static string Format(IEnumerable<long> dimensions)
    {
        var text = string.Join('x', dimensions.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        return text.Length == 0 ? "scalar" : text;
    }
}
