using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Interop;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// giving each tensor's dtype, shape and byte range, then the raw little-endian data.
/// </summary>
public static class SafetensorsFile
{
    private const long MaxHeaderBytes = 100L * 1024 * 1024;
    private const int CopyBufferBytes = 1 << 20;

    private static readonly Dictionary<string, ScalarType> DtypesByName = new(StringComparer.Ordinal)
    {
        ["F64"] = ScalarType.Float64,
        ["F32"] = ScalarType.Float32,
        ["F16"] = ScalarType.Float16,
        ["BF16"] = ScalarType.BFloat16,
        ["I64"] = ScalarType.Int64,
        ["I32"] = ScalarType.Int32,
        ["I16"] = ScalarType.Int16,
        ["I8"] = ScalarType.Int8,
        ["U8"] = ScalarType.Byte,
        ["BOOL"] = ScalarType.Bool,
    };

    /// <summary>Reads every tensor in the file, in the header's order, onto the CPU.</summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <returns>The tensors by name; the caller owns and disposes them.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed; the message names the file and the fault.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Safetensors file '{path}' does not exist.", path);
        }

        using var stream = File.OpenRead(path);
        var entries = ReadHeader(stream, path);
        var dataStart = stream.Position;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in entries)
            {
                var tensor = torch.empty(entry.Shape, entry.Dtype);
                stream.Position = dataStart + entry.Begin;
                tensor.ReadBytesFromStream(stream, CopyBufferBytes);
                tensors.Add(entry.Name, tensor);
            }
        }
        catch
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }

            throw;
        }

        return tensors;
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> atomically: the data goes to a
    /// temporary file beside it, which then replaces <paramref name="path"/>.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">Names and tensors, on any device; they are written in this order.</param>
    /// <param name="metadata">Optional string metadata, stored under <c>__metadata__</c>.</param>
    /// <exception cref="ArgumentException">A name repeats or a dtype has no safetensors equivalent.</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);

        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            header["__metadata__"] = new JsonObject(metadata.Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)JsonValue.Create(pair.Value))));
        }

        using var scope = torch.NewDisposeScope();
        var ordered = new List<(string Name, Tensor Data)>();
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            if (header.ContainsKey(name))
            {
                throw new ArgumentException($"Tensor name '{name}' appears twice.", nameof(tensors));
            }

            var dtypeName = DtypesByName.FirstOrDefault(pair => pair.Value == tensor.dtype).Key
                ?? throw new ArgumentException($"Tensor '{name}' has dtype {tensor.dtype}, which safetensors cannot store.", nameof(tensors));
            var data = tensor.detach().cpu().contiguous();
            var length = data.numel() * data.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = dtypeName,
                ["shape"] = new JsonArray(data.shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + length)),
            };
            ordered.Add((name, data));
            offset += length;
        }

        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8;
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(json);
            for (var i = json.Length; i < padded; i++)
            {
                stream.WriteByte((byte)' ');
            }

            foreach (var (_, data) in ordered)
            {
                data.WriteBytesToStream(stream, CopyBufferBytes);
            }
        });
    }

    private sealed record Entry(string Name, ScalarType Dtype, long[] Shape, long Begin);

    private static List<Entry> ReadHeader(FileStream stream, string path)
    {
        var fileLength = stream.Length;
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
        {
            throw Malformed(path, "it is shorter than the 8-byte header length");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength == 0 || headerLength > (ulong)Math.Min(MaxHeaderBytes, fileLength - 8))
        {
            throw Malformed(path, $"its header length {headerLength:N0} does not fit in the file of {fileLength:N0} bytes (or exceeds 100 MB)");
        }

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        JsonObject header;
        try
        {
            header = JsonNode.Parse(headerBytes) as JsonObject ?? throw Malformed(path, "its header is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw Malformed(path, $"its header is not valid JSON ({ex.Message})");
        }

        var dataLength = fileLength - 8 - (long)headerLength;
        var entries = new List<Entry>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                continue;
            }

            entries.Add(ParseEntry(path, name, node, dataLength));
        }

        return entries;
    }

    private static Entry ParseEntry(string path, string name, JsonNode? node, long dataLength)
    {
        try
        {
            var dtypeName = node?["dtype"]?.GetValue<string>();
            if (dtypeName is null || !DtypesByName.TryGetValue(dtypeName, out var dtype))
            {
                throw Malformed(path, $"tensor '{name}' has dtype '{dtypeName}', which is not one of {string.Join(", ", DtypesByName.Keys)}");
            }

            var shape = node!["shape"]?.AsArray().Select(d => d!.GetValue<long>()).ToArray()
                ?? throw Malformed(path, $"tensor '{name}' has no shape");
            var offsets = node["data_offsets"]?.AsArray().Select(o => o!.GetValue<long>()).ToArray();
            if (shape.Any(d => d < 0) || offsets is not { Length: 2 })
            {
                throw Malformed(path, $"tensor '{name}' needs a non-negative shape and two data offsets");
            }

            var (begin, end) = (offsets[0], offsets[1]);
            var elementSize = torch.empty(0, dtype).ElementSize;
            var expected = shape.Aggregate(elementSize, (product, d) => checked(product * d));
            if (begin < 0 || end < begin || end > dataLength || end - begin != expected)
            {
                throw Malformed(path, $"tensor '{name}' of shape [{string.Join(", ", shape)}] and dtype {dtypeName} needs {expected:N0} bytes, but its offsets [{begin}, {end}] do not give them within the {dataLength:N0} data bytes");
            }

            return new Entry(name, dtype, shape, begin);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException)
        {
            throw Malformed(path, $"tensor '{name}' has an unreadable entry ({ex.Message})");
        }
    }

    private static InvalidDataException Malformed(string path, string reason) =>
        new($"Safetensors file '{path}' is malformed: {reason}.");
}
