using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace CnnClassify.Models;

/// <summary>One layer of a <see cref="CnnArchitecture"/>: its name (the state-dict prefix) and what it is.</summary>
/// <param name="Name">The layer's name, such as <c>conv1</c>.</param>
/// <param name="Layer">The layer's kind and arguments.</param>
[JsonConverter(typeof(ArchitectureLayerConverter))]
public sealed record ArchitectureLayer(string Name, LayerSpec Layer);

/// <summary>
/// Writes a layer as <c>{"name": ..., "layer": {"kind": ..., arguments}}</c>, and reads that or the
/// record of format-2 checkpoints, <c>{"kind": ..., "name": ..., "arguments": {camelCase names}}</c>,
/// whose argument names become the typed record's by their snake_case spelling.
/// </summary>
internal sealed class ArchitectureLayerConverter : JsonConverter<ArchitectureLayer>
{
    public override ArchitectureLayer? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        try
        {
            if (JsonNode.Parse(ref reader) is not JsonObject entry)
            {
                throw new JsonException("a layer of the architecture is not a JSON object");
            }

            var name = Text(entry, "name") ?? throw new JsonException("a layer of the architecture has no name");
            var layer = entry["layer"] ?? FromFormat2(entry);
            try
            {
                var spec = layer.Deserialize<LayerSpec>(options) ?? throw new JsonException($"layer '{name}' has no kind");
                return new ArchitectureLayer(name, spec);
            }
            catch (NotSupportedException ex)
            {
                // A missing or unknown "kind": the record is damaged, not the program.
                throw new JsonException($"layer '{name}' has no known kind ({ex.Message})", ex);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // A repeated key, or a value of another type than the record's.
            throw new JsonException($"a layer of the architecture is damaged ({ex.Message})", ex);
        }
    }

    public override void Write(Utf8JsonWriter writer, ArchitectureLayer value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("name", value.Name);
        writer.WritePropertyName("layer");
        JsonSerializer.Serialize(writer, value.Layer, options);
        writer.WriteEndObject();
    }

    // {"kind": "Conv", "arguments": {"outChannels": 32}} -> {"kind": "Conv", "out_channels": 32}
    private static JsonObject FromFormat2(JsonObject entry)
    {
        var kind = Text(entry, "kind") ?? throw new JsonException("a layer of the architecture has neither 'layer' nor a text 'kind'");
        var layer = new JsonObject { ["kind"] = kind };
        if (entry["arguments"] is JsonObject arguments)
        {
            foreach (var (key, value) in arguments)
            {
                layer[JsonNamingPolicy.SnakeCaseLower.ConvertName(key)] = value?.DeepClone();
            }
        }

        return layer;
    }

    private static string? Text(JsonObject entry, string key) =>
        entry[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
