
namespace CnnClassify.Serialization;

/// <summary>What happened to each tensor when weights were loaded into a model.</summary>
/// <param name="Loaded">Model keys whose values were copied from the file.</param>
/// <param name="Missing">Model keys the file does not have; they keep their values.</param>
/// <param name="Unexpected">File keys the model does not have; they were ignored.</param>
/// <param name="ShapeMismatched">Keys both have with different shapes, such as a 1,000-class head in a 10-class model; they keep the model's values.</param>
public sealed record WeightLoadReport(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<string> ShapeMismatched)
{
    /// <summary>Whether every model key was loaded and nothing else was in the file.</summary>
    public bool IsExact => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatched.Count == 0;

    /// <inheritdoc />
    public override string ToString() =>
        $"loaded {Loaded.Count}; missing {Describe(Missing)}; unexpected {Describe(Unexpected)}; shape-mismatched {Describe(ShapeMismatched)}";

    private static string Describe(IReadOnlyList<string> keys) =>
        keys.Count == 0 ? "0" : $"{keys.Count} ({string.Join(", ", keys.Take(5))}{(keys.Count > 5 ? ", ..." : string.Empty)})";
}
