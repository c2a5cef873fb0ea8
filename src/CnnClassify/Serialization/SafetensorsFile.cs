using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Serialization;

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

    private static readonly Dictionary<ScalarType, long> ElementSizes = new()
    {
        [ScalarType.Float64] = 8, [ScalarType.Float32] = 4, [ScalarType.Float16] = 2, [ScalarType.BFloat16] = 2,
        [ScalarType.Int64] = 8, [ScalarType.Int32] = 4, [ScalarType.Int16] = 2, [ScalarType.Int8] = 1, [ScalarType.Byte] = 1, [ScalarType.Bool] = 1,
    };

    /// <summary>Reads every tensor in the file, in the order of their data, onto the CPU.</summary>
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
        return Read(stream, path);
    }

    /// <summary>Reads every tensor of a safetensors file held by <paramref name="stream"/>, from its position to its end, onto the CPU.</summary>
    /// <param name="stream">A seekable stream (its length bounds the header and the data); it is left open.</param>
    /// <param name="sourceName">The file or entry it came from, for messages.</param>
    /// <returns>The tensors by name; the caller owns and disposes them.</returns>
    /// <exception cref="InvalidDataException">The data is malformed; the message names <paramref name="sourceName"/> and the fault.</exception>
    public static Dictionary<string, Tensor> Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            throw new ArgumentException("The stream must be seekable, so that its length bounds what it may hold.", nameof(stream));
        }

        var header = ReadHeader(stream, stream.Length - stream.Position, sourceName);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            ReadData(stream, header, sourceName, (entry, tensor) => tensors.Add(entry.Name, tensor));
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
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata));
    }

    /// <summary>Writes <paramref name="tensors"/> as a safetensors file to <paramref name="stream"/>, which need not seek (a zip entry, a network stream).</summary>
    /// <param name="stream">Where to write; it is left open.</param>
    /// <param name="tensors">Names and tensors, on any device; they are written in this order.</param>
    /// <param name="metadata">Optional string metadata, stored under <c>__metadata__</c>.</param>
    /// <exception cref="ArgumentException">A name repeats or a dtype has no safetensors equivalent.</exception>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
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
        Span<byte> lengthBytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, (ulong)padded);
        stream.Write(lengthBytes);
        stream.Write(json);
        for (var i = json.Length; i < padded; i++)
        {
            stream.WriteByte((byte)' ');
        }

        foreach (var (_, data) in ordered)
        {
            data.WriteBytesToStream(stream, CopyBufferBytes);
        }
    }

    /// <summary>Most tensors one file may hold: 200,000 (a ResNet-152 has 932).</summary>
    internal const int MaxTensors = 200_000;

    /// <summary>One tensor's entry in the header: its dtype, shape, and byte range in the data.</summary>
    internal sealed record Entry(string Name, ScalarType Dtype, long[] Shape, long Begin, long End);

    /// <summary>
    /// Reads the header from the start of <paramref name="stream"/>, which holds
    /// <paramref name="length"/> bytes in all, and checks it as the format requires: known dtypes,
    /// byte ranges that match the shapes and cover the data exactly once, in order, without gaps or
    /// overlaps. Nothing is allocated for a tensor. The stream is left at the first data byte.
    /// </summary>
    internal static List<Entry> ReadHeader(Stream stream, long length, string path)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
        {
            throw Malformed(path, "it is shorter than the 8-byte header length");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength == 0 || headerLength > (ulong)Math.Min(MaxHeaderBytes, length - 8))
        {
            throw Malformed(path, $"its header length {headerLength:N0} does not fit in the file of {length:N0} bytes (or exceeds 100 MB)");
        }

        var headerBytes = new byte[headerLength];
        if (stream.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false) < headerBytes.Length)
        {
            throw Malformed(path, "it ends inside its header");
        }

        var dataLength = length - 8 - (long)headerLength;
        List<Entry> entries;
        try
        {
            entries = ParseHeader(headerBytes, path);
        }
        catch (JsonException ex)
        {
            throw Malformed(path, $"its header is not valid JSON ({ex.Message})");
        }

        // Sorted by offset, the ranges must tile the data: each begins where the last ended.
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long next = 0;
        foreach (var entry in entries)
        {
            if (entry.Begin != next)
            {
                throw Malformed(path, $"tensor '{entry.Name}' starts at byte {entry.Begin:N0} of the data, where {next:N0} was expected (tensors must not overlap or leave gaps)");
            }

            next = entry.End;
        }

        if (next != dataLength)
        {
            throw Malformed(path, $"its tensors take {next:N0} bytes, but {dataLength:N0} follow the header");
        }

        return entries;
    }

    /// <summary>
    /// Reads each tensor of <paramref name="entries"/> (from <see cref="ReadHeader"/>) from
    /// <paramref name="stream"/> in order, handing it to <paramref name="take"/>, which owns it.
    /// </summary>
    internal static void ReadData(Stream stream, List<Entry> entries, string path, Action<Entry, Tensor> take)
    {
        foreach (var entry in entries)
        {
            var tensor = torch.empty(entry.Shape, entry.Dtype);
            try
            {
                if (entry.End > entry.Begin)
                {
                    tensor.ReadBytesFromStream(stream, CopyBufferBytes);
                }
            }
            catch (Exception ex) when (ex is EndOfStreamException or IOException or InvalidDataException)
            {
                tensor.Dispose();
                throw Malformed(path, $"its data ends inside tensor '{entry.Name}' ({ex.Message})");
            }
            catch
            {
                tensor.Dispose();
                throw;
            }

            take(entry, tensor);
        }
    }

    // The header, read token by token, so that a million entries cost a million small records and
    // not a JSON document of them.
    private static List<Entry> ParseHeader(byte[] header, string path)
    {
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 8 });
        Expect(ref reader, JsonTokenType.StartObject, path, "its header is not a JSON object");
        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            if (!names.Add(name))
            {
                throw Malformed(path, $"tensor '{name}' is listed twice");
            }

            if (name == "__metadata__")
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            if (entries.Count >= MaxTensors)
            {
                throw Malformed(path, $"it lists more than {MaxTensors:N0} tensors");
            }

            entries.Add(ParseEntry(ref reader, path, name));
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw Malformed(path, "its header is not a JSON object of tensors");
        }

        return entries;
    }

    private static Entry ParseEntry(ref Utf8JsonReader reader, string path, string name)
    {
        Expect(ref reader, JsonTokenType.StartObject, path, $"tensor '{name}' is not a JSON object");
        string? dtypeName = null;
        List<long>? shape = null;
        List<long>? offsets = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.GetString();
            reader.Read();
            switch (field)
            {
                case "dtype" when reader.TokenType == JsonTokenType.String:
                    dtypeName = reader.GetString();
                    break;
                case "shape":
                    shape = Numbers(ref reader, path, name);
                    break;
                case "data_offsets":
                    offsets = Numbers(ref reader, path, name);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (dtypeName is null || !DtypesByName.TryGetValue(dtypeName, out var dtype))
        {
            throw Malformed(path, $"tensor '{name}' has dtype '{dtypeName}', which is not one of {string.Join(", ", DtypesByName.Keys)}");
        }

        if (shape is null || offsets is not { Count: 2 } || shape.Any(d => d < 0) || shape.Count > 16)
        {
            throw Malformed(path, $"tensor '{name}' needs a shape of at most 16 non-negative sizes and two data offsets");
        }

        var (begin, end) = (offsets[0], offsets[1]);
        long expected;
        try
        {
            expected = shape.Aggregate(ElementSizes[dtype], (product, d) => checked(product * d));
        }
        catch (OverflowException)
        {
            throw Malformed(path, $"tensor '{name}' of shape [{string.Join(", ", shape)}] is larger than any file");
        }

        if (begin < 0 || end < begin || end - begin != expected)
        {
            throw Malformed(path, $"tensor '{name}' of shape [{string.Join(", ", shape)}] and dtype {dtypeName} needs {expected:N0} bytes, but its offsets [{begin}, {end}] do not give them");
        }

        return new Entry(name, dtype, [.. shape], begin, end);
    }

    private static List<long> Numbers(ref Utf8JsonReader reader, string path, string name)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Malformed(path, $"tensor '{name}' has a shape or offsets that are not arrays");
        }

        var numbers = new List<long>();
        while (reader.Read() && reader.TokenType == JsonTokenType.Number)
        {
            if (!reader.TryGetInt64(out var value) || numbers.Count >= 16)
            {
                throw Malformed(path, $"tensor '{name}' has a shape or offsets that are not whole numbers");
            }

            numbers.Add(value);
        }

        return reader.TokenType == JsonTokenType.EndArray ? numbers
            : throw Malformed(path, $"tensor '{name}' has a shape or offsets that are not whole numbers");
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType token, string path, string problem)
    {
        if (!reader.Read() || reader.TokenType != token)
        {
            throw Malformed(path, problem);
        }
    }

    private static InvalidDataException Malformed(string path, string reason) =>
        new($"Safetensors file '{path}' is malformed: {reason}.");
}
