using System.Buffers.Binary;
using System.IO.Compression;
using CnnClassify.Data;
using TorchSharp;

namespace CnnClassify.Tests.Data;

public sealed class IdxFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-idx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Reads_raw_ubyte_images_with_their_shape_and_values()
    {
        var pixels = Enumerable.Range(0, 12).Select(i => (byte)(i * 20)).ToArray();
        var path = Write("images-idx3-ubyte", Idx(0x08, [2, 2, 3], pixels));

        using var tensor = IdxFile.Read(path);

        Assert.Equal(torch.ScalarType.Byte, tensor.dtype);
        Assert.Equal([2L, 2, 3], tensor.shape);
        Assert.Equal(pixels, tensor.data<byte>().ToArray());
    }

    [Fact]
    public void Reads_gzip_compressed_files_like_raw_ones()
    {
        var labels = new byte[] { 9, 0, 0, 3, 0, 2, 7 };
        var path = Write("labels-idx1-ubyte.gz", Gzip(Idx(0x08, [7], labels)));

        using var tensor = IdxFile.Read(path);

        Assert.Equal([7L], tensor.shape);
        Assert.Equal(labels, tensor.data<byte>().ToArray());
    }

    [Fact]
    public void Decodes_big_endian_int32_and_float32_elements()
    {
        var ints = new byte[12];
        BinaryPrimitives.WriteInt32BigEndian(ints.AsSpan(0), 1);
        BinaryPrimitives.WriteInt32BigEndian(ints.AsSpan(4), -2);
        BinaryPrimitives.WriteInt32BigEndian(ints.AsSpan(8), 0x01020304);
        var floats = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(floats.AsSpan(0), 1.5f);
        BinaryPrimitives.WriteSingleBigEndian(floats.AsSpan(4), -0.25f);

        using var intTensor = IdxFile.Read(Write("ints", Idx(0x0C, [3], ints)));
        using var floatTensor = IdxFile.Read(Write("floats", Idx(0x0D, [1, 2], floats)));

        Assert.Equal(new[] { 1, -2, 0x01020304 }, intTensor.data<int>().ToArray());
        Assert.Equal(torch.ScalarType.Float32, floatTensor.dtype);
        Assert.Equal([1L, 2], floatTensor.shape);
        Assert.Equal(new[] { 1.5f, -0.25f }, floatTensor.data<float>().ToArray());
    }

    [Fact]
    public void Reads_from_a_stream_that_cannot_seek()
    {
        var bytes = Gzip(Idx(0x08, [2, 2], [1, 2, 3, 4]));
        using var stream = new ForwardOnlyStream(bytes);

        using var tensor = IdxFile.Read(stream, "network.gz");

        Assert.Equal(new byte[] { 1, 2, 3, 4 }, tensor.data<byte>().ToArray());
    }

    [Theory]
    [InlineData("raw")]
    [InlineData("gzip")]
    public void Truncated_data_is_reported_with_the_file_and_the_sizes(string encoding)
    {
        var bytes = Idx(0x08, [10, 28, 28], new byte[100]);
        var path = Write("short-idx3-ubyte", encoding == "gzip" ? Gzip(bytes) : bytes);

        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("10x28x28 needs 7,840 data bytes", error.Message);
        Assert.Contains("100", error.Message);
    }

    [Fact]
    public void Bytes_after_the_data_are_rejected()
    {
        var path = Write("long.gz", Gzip(Idx(0x08, [2], [1, 2, 3])));

        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));

        Assert.Contains("bytes after the 2 data bytes", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_idx_is_rejected_by_its_magic_number()
    {
        var path = Write("image.png", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("not an IDX file", error.Message);
    }

    [Fact]
    public void An_unknown_element_type_is_rejected()
    {
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(Write("odd", Idx(0x0A, [1], [0]))));

        Assert.Contains("type code 0x0a", error.Message);
    }

    [Fact]
    public void A_header_claiming_more_than_an_array_can_hold_is_rejected_before_allocating()
    {
        var path = Write("huge.gz", Gzip(Idx(0x0E, [int.MaxValue, 16], [])));

        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));

        Assert.Contains("more than one array can hold", error.Message);
    }

    [Theory]
    [InlineData(new byte[0], "shorter than the 4-byte IDX header")]
    [InlineData(new byte[] { 0, 0, 8, 0 }, "declares 0 dimensions")]
    [InlineData(new byte[] { 0, 0, 8, 3, 0, 0, 0, 1 }, "ends inside the header")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff }, "negative size -1")]
    public void A_malformed_header_is_rejected_with_its_reason(byte[] bytes, string reason)
    {
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(Write("bad", bytes)));

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Corrupt_gzip_data_names_the_file()
    {
        var bytes = Gzip(Idx(0x08, [64], new byte[64]));
        Array.Fill(bytes, (byte)0xAB, 10, bytes.Length - 10);
        var path = Write("corrupt.gz", bytes);

        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_missing_file_is_reported_by_path()
    {
        var path = Path.Combine(_dir, "absent-idx1-ubyte");

        var error = Assert.Throws<FileNotFoundException>(() => IdxFile.Read(path));

        Assert.Equal(path, error.FileName);
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Idx(byte typeCode, int[] shape, byte[] payload)
    {
        var bytes = new byte[4 + (4 * shape.Length) + payload.Length];
        bytes[2] = typeCode;
        bytes[3] = (byte)shape.Length;
        for (var i = 0; i < shape.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), shape[i]);
        }

        payload.CopyTo(bytes, 4 + (4 * shape.Length));
        return bytes;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }

    private sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
