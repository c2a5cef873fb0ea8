using System.Buffers.Binary;
using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data;

/// <summary>
/// Reads IDX files, the format of MNIST, Fashion-MNIST and KMNIST, either raw or gzip-compressed.
/// </summary>
/// <remarks>
/// An IDX file holds a 4-byte magic number (two zero bytes, a type code and the number of
/// dimensions), one big-endian 32-bit size per dimension, then the elements in row-major order.
/// </remarks>
public static class IdxFile
{
    private const int CopyChunkBytes = 1 << 16;

    /// <summary>Reads the IDX file at <paramref name="path"/>, gzip-compressed or raw.</summary>
    /// <param name="path">Path of the file, for example <c>train-images-idx3-ubyte.gz</c>.</param>
    /// <returns>
    /// A CPU tensor with the file's shape and element type: <c>uint8</c>, <c>int8</c>, <c>int16</c>,
    /// <c>int32</c>, <c>float32</c> or <c>float64</c>.
    /// </returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX file; the message names the file and the fault.</exception>
    public static Tensor Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"IDX file '{path}' does not exist.", path);
        }

        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads an IDX file, gzip-compressed or raw, from <paramref name="stream"/>.</summary>
    /// <param name="stream">The stream to read from its current position to its end.</param>
    /// <param name="sourceName">A name for the data, such as its file name, used in error messages.</param>
    /// <returns>A CPU tensor with the file's shape and element type.</returns>
    /// <exception cref="InvalidDataException">The data is not a well-formed IDX file.</exception>
    public static Tensor Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(sourceName);

        var buffered = stream.CanSeek ? stream : CopyToMemory(stream);
        try
        {
            var start = buffered.Position;
            var isGzip = buffered.ReadByte() == 0x1f && buffered.ReadByte() == 0x8b;
            buffered.Position = start;
            if (!isGzip)
            {
                return ReadIdx(buffered, sourceName, buffered.Length - start);
            }

            using var gzip = new GZipStream(buffered, CompressionMode.Decompress, leaveOpen: true);
            return ReadIdx(gzip, sourceName, knownLength: null);
        }
        catch (InvalidDataException ex) when (!ex.Message.Contains(sourceName, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"IDX file '{sourceName}': the gzip data is corrupt ({ex.Message}).", ex);
        }
        finally
        {
            if (!ReferenceEquals(buffered, stream))
            {
                buffered.Dispose();
            }
        }
    }

    private static Tensor ReadIdx(Stream input, string sourceName, long? knownLength)
    {
        Span<byte> magic = stackalloc byte[4];
        if (input.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) < magic.Length)
        {
            throw Malformed(sourceName, "it is shorter than the 4-byte IDX header");
        }

        if (magic[0] != 0 || magic[1] != 0)
        {
            throw Malformed(sourceName, $"the magic number starts with 0x{magic[0]:x2}{magic[1]:x2} instead of 0x0000; this is not an IDX file");
        }

        var (elementType, elementSize) = ElementTypeOf(magic[2], sourceName);
        int rank = magic[3];
        if (rank == 0)
        {
            throw Malformed(sourceName, "it declares 0 dimensions");
        }

        var header = new byte[4 * rank];
        if (input.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
        {
            throw Malformed(sourceName, $"it ends inside the header, which declares {rank} dimensions");
        }

        var shape = new long[rank];
        long elementCount = 1;
        for (var i = 0; i < rank; i++)
        {
            var size = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 * i));
            if (size < 0)
            {
                throw Malformed(sourceName, $"dimension {i} has the negative size {size}");
            }

            shape[i] = size;
            elementCount = checked(elementCount * size);
        }

        var payloadBytes = elementCount * elementSize;
        var shapeText = string.Join('x', shape);
        if (payloadBytes > Array.MaxLength)
        {
            throw Malformed(sourceName, $"its shape {shapeText} needs {payloadBytes:N0} bytes, more than one array can hold");
        }

        var headerBytes = 4 + header.Length;
        if (knownLength is { } length && length - headerBytes != payloadBytes)
        {
            throw Malformed(sourceName, $"its shape {shapeText} needs {payloadBytes:N0} data bytes but the file holds {length - headerBytes:N0}");
        }

        var payload = ReadPayload(input, (int)payloadBytes, sourceName, shapeText);
        return ToTensor(payload, elementType, shape);
    }

    private static byte[] ReadPayload(Stream input, int payloadBytes, string sourceName, string shapeText)
    {
        // Grow with the data actually present, so a header that lies about its size cannot
        // make the reader allocate far more than the file holds.
        using var data = new MemoryStream(Math.Min(payloadBytes, CopyChunkBytes));
        var chunk = new byte[CopyChunkBytes];
        while (data.Length < payloadBytes)
        {
            var wanted = (int)Math.Min(chunk.Length, payloadBytes - data.Length);
            var read = input.Read(chunk, 0, wanted);
            if (read == 0)
            {
                throw Malformed(sourceName, $"its shape {shapeText} needs {payloadBytes:N0} data bytes but the data ends after {data.Length:N0}");
            }

            data.Write(chunk, 0, read);
        }

        if (input.Read(chunk, 0, 1) != 0)
        {
            throw Malformed(sourceName, $"there are bytes after the {payloadBytes:N0} data bytes its shape {shapeText} needs");
        }

        return data.Length == data.Capacity ? data.GetBuffer() : data.ToArray();
    }

    private static (ScalarType Type, int Size) ElementTypeOf(byte code, string sourceName) => code switch
    {
        0x08 => (ScalarType.Byte, 1),
        0x09 => (ScalarType.Int8, 1),
        0x0B => (ScalarType.Int16, 2),
        0x0C => (ScalarType.Int32, 4),
        0x0D => (ScalarType.Float32, 4),
        0x0E => (ScalarType.Float64, 8),
        _ => throw Malformed(sourceName, $"its type code 0x{code:x2} is not one of 0x08 (ubyte), 0x09 (byte), 0x0b (short), 0x0c (int), 0x0d (float) or 0x0e (double)"),
    };

    private static Tensor ToTensor(byte[] payload, ScalarType elementType, long[] shape)
    {
        switch (elementType)
        {
            case ScalarType.Byte:
                return torch.tensor(payload, shape, ScalarType.Byte);
            case ScalarType.Int8:
                return torch.tensor(Array.ConvertAll(payload, b => unchecked((sbyte)b)), shape);
            case ScalarType.Int16:
                return torch.tensor(Decode(payload, sizeof(short), BinaryPrimitives.ReadInt16BigEndian), shape);
            case ScalarType.Int32:
                return torch.tensor(Decode(payload, sizeof(int), BinaryPrimitives.ReadInt32BigEndian), shape);
            case ScalarType.Float32:
                return torch.tensor(Decode(payload, sizeof(float), BinaryPrimitives.ReadSingleBigEndian), shape);
            default:
                return torch.tensor(Decode(payload, sizeof(double), BinaryPrimitives.ReadDoubleBigEndian), shape);
        }
    }

    private delegate T BigEndianDecoder<out T>(ReadOnlySpan<byte> source);

    private static T[] Decode<T>(byte[] payload, int size, BigEndianDecoder<T> decode)
    {
        var values = new T[payload.Length / size];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = decode(payload.AsSpan(i * size, size));
        }

        return values;
    }

    private static MemoryStream CopyToMemory(Stream stream)
    {
        var memory = new MemoryStream();
        stream.CopyTo(memory);
        memory.Position = 0;
        return memory;
    }

    private static InvalidDataException Malformed(string sourceName, string reason) =>
        new($"IDX file '{sourceName}' is malformed: {reason}.");
}
