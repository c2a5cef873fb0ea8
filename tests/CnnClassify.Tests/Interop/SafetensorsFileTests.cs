using System.Buffers.Binary;
using System.Text;
using CnnClassify.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Interop;

public sealed class SafetensorsFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_stream_that_cannot_seek_takes_the_same_bytes_as_a_file_and_a_seekable_one_reads_them_back()
    {
        using var scope = torch.NewDisposeScope();
        var tensors = new Dictionary<string, Tensor> { ["w"] = torch.randn(3, 2), ["b"] = torch.arange(4, dtype: ScalarType.Int64) };
        var path = Path.Combine(_dir, "file.safetensors");
        SafetensorsFile.Write(path, tensors);
        using var sink = new MemoryStream();
        using (var forwardOnly = new ForwardOnly(sink))
        {
            SafetensorsFile.Write(forwardOnly, tensors);
        }

        sink.Position = 0;
        var back = SafetensorsFile.Read(sink, "memory");

        Assert.Equal(File.ReadAllBytes(path), sink.ToArray());
        Assert.Equal(["b", "w"], back.Keys.Order(StringComparer.Ordinal));
        Assert.True(back["w"].equal(tensors["w"]).all().item<bool>());
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Read(new ForwardOnly(new MemoryStream(sink.ToArray())), "forward-only"));
        foreach (var tensor in back.Values)
        {
            tensor.Dispose();
        }
    }

    // A stream that writes and reads forward only, like a zip entry or a socket.
    private sealed class ForwardOnly(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }

    [Fact]
    public void Tensors_of_every_dtype_round_trip_with_names_shapes_and_values()
    {
        var path = Path.Combine(_dir, "all.safetensors");
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = torch.randn(2, 3),
            ["f64"] = torch.randn(4, dtype: ScalarType.Float64),
            ["bf16"] = torch.randn(3, 1).to(ScalarType.BFloat16),
            ["i64"] = torch.tensor(new long[] { -5, 0, long.MaxValue }),
            ["u8"] = torch.tensor(new byte[] { 0, 255 }),
            ["bool"] = torch.tensor(new[] { true, false }),
            ["empty"] = torch.zeros(0, 4),
        };

        SafetensorsFile.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var read = SafetensorsFile.Read(path);

        Assert.Equal(tensors.Keys, read.Keys);
        foreach (var (name, tensor) in tensors)
        {
            Assert.Equal(tensor.dtype, read[name].dtype);
            Assert.Equal(tensor.shape, read[name].shape);
            Assert.True(tensor.eq(read[name]).all().item<bool>(), name);
        }

        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void The_layout_follows_the_format()
    {
        var path = Path.Combine(_dir, "one.safetensors");
        SafetensorsFile.Write(path, new Dictionary<string, Tensor> { ["w"] = torch.tensor(new float[] { 1, 2 }) });

        var bytes = System.IO.File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength).TrimEnd();

        Assert.Equal(0, headerLength % 8);
        Assert.Equal("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", header);
        Assert.Equal(8 + headerLength + 8, bytes.Length);
        Assert.Equal(2f, BitConverter.ToSingle(bytes, 8 + headerLength + 4));
    }

    [Theory]
    [InlineData("short", "shorter than the 8-byte header length")]
    [InlineData("huge-header", "does not fit in the file")]
    [InlineData("not-json", "header is not valid JSON")]
    [InlineData("bad-dtype", "dtype 'F8'")]
    [InlineData("truncated", "its tensors take 16 bytes, but 8 follow the header")]
    [InlineData("overlapping", "tensor 'b' starts at byte 0 of the data, where 4 was expected")]
    [InlineData("repeated", "tensor 'a' is listed twice")]
    [InlineData("wrong-size", "needs 8 bytes, but its offsets [0, 4]")]
    public void Malformed_files_are_rejected_with_the_file_and_the_fault(string kind, string reason)
    {
        var path = Path.Combine(_dir, $"{kind}.safetensors");
        System.IO.File.WriteAllBytes(path, kind switch
        {
            "short" => [1, 2, 3],
            "huge-header" => [.. BitConverter.GetBytes(1_000_000UL), .. "{}"u8.ToArray()],
            "not-json" => Layout([.. "{not json"u8.ToArray()], []),
            "bad-dtype" => Layout(Encoding.UTF8.GetBytes("{\"a\":{\"dtype\":\"F8\",\"shape\":[1],\"data_offsets\":[0,1]}}"), new byte[1]),
            "truncated" => Layout(Encoding.UTF8.GetBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}"), new byte[8]),
            "overlapping" => Layout(Encoding.UTF8.GetBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"), new byte[4]),
            "repeated" => Layout(Encoding.UTF8.GetBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}"), new byte[8]),
            _ => Layout(Encoding.UTF8.GetBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}"), new byte[8]),
        });

        var error = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(path));

        Assert.Contains(path, error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void A_file_that_is_neither_format_is_rejected_by_the_weights_reader()
    {
        var path = Path.Combine(_dir, "weights.pth");
        System.IO.File.WriteAllText(path, "these are not weights");

        var error = Assert.Throws<InvalidDataException>(() => StateDictFile.Read(path));

        Assert.Contains(path, error.Message);
    }

    private static byte[] Layout(byte[] header, byte[] data) =>
        [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. data];
}
