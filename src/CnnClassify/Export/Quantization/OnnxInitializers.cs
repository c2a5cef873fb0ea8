using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace CnnClassify.Export;

/// <summary>Reads and writes the initializers the quantizer rewrites.</summary>
internal static class OnnxInitializers
{
    /// <summary>A float32 initializer's values in row-major order.</summary>
    public static float[] Floats(TensorProto tensor) =>
        tensor.DataType == (int)TensorProto.Types.DataType.Float
            ? tensor.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray() : [.. tensor.FloatData]
            : throw new NotSupportedException($"Initializer '{tensor.Name}' is not float32.");

    /// <summary>A float32 initializer.</summary>
    public static TensorProto Float(string name, float[] values, IEnumerable<long> dims) => Raw(name, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    /// <summary>An int8 initializer.</summary>
    public static TensorProto Int8(string name, sbyte[] values, IEnumerable<long> dims) => Raw(name, TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    /// <summary>A uint8 initializer.</summary>
    public static TensorProto UInt8(string name, byte[] values, IEnumerable<long> dims) => Raw(name, TensorProto.Types.DataType.Uint8, values, dims);

    /// <summary>An int32 initializer.</summary>
    public static TensorProto Int32(string name, int[] values, IEnumerable<long> dims) => Raw(name, TensorProto.Types.DataType.Int32, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    private static TensorProto Raw(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes, IEnumerable<long> dims)
    {
        // raw_data is little-endian, as on every platform .NET runs this library on.
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }
}
