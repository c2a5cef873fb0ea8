using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace CnnClassify.Serialization;

/// <summary>
/// Numbers in checkpoints and reports that may not be finite: a validation metric over an empty
/// batch, a best value not yet seen. JSON has no NaN or infinity, so they are written as the strings
/// <c>"NaN"</c>, <c>"Infinity"</c> and <c>"-Infinity"</c> (as Python's <c>json</c> module reads
/// them when asked) and read back, so a run never loses a checkpoint to a metric.
/// </summary>
internal static class JsonNumbers
{
    /// <summary>Serializer options that write and read non-finite numbers as those strings.</summary>
    public static JsonSerializerOptions Options { get; } = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, WriteIndented = true };

    /// <summary>The number in <paramref name="node"/>: a JSON number, one of the named strings, or <see langword="null"/>.</summary>
    /// <exception cref="InvalidOperationException">The node holds something else.</exception>
    public static double? Read(JsonNode? node)
    {
        if (node is null)
        {
            return null;
        }

        var value = node.AsValue();
        if (value.TryGetValue<double>(out var number))
        {
            return number;
        }

        return value.TryGetValue<string>(out var text) && text is "NaN" or "Infinity" or "-Infinity"
            ? double.Parse(text, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"'{node.ToJsonString()}' is not a number.");
    }
}
