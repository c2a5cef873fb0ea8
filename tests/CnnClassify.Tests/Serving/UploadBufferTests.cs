using CnnClassify.Serving.Endpoints;

namespace CnnClassify.Tests.Serving;

/// <summary>The segmented upload buffer: what it reads back, how it seeks, and where it stops.</summary>
public sealed class UploadBufferTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65_535)]
    [InlineData(65_536)]
    [InlineData(200_001)]
    public async Task An_upload_reads_back_byte_for_byte_across_segment_boundaries(int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        using var buffer = new UploadBuffer();

        var fits = await buffer.FillAsync(new TrickleStream(bytes, 7_777), limit: size, CancellationToken.None);
        using var copy = new MemoryStream();
        await buffer.CopyToAsync(copy);
        buffer.Seek(-Math.Min(size, 3), SeekOrigin.End);
        var tail = new byte[3];
        var read = buffer.Read(tail, 0, 3);

        Assert.True(fits);
        Assert.Equal(size, buffer.Length);
        Assert.Equal(bytes, copy.ToArray());
        Assert.Equal(bytes[^Math.Min(size, 3)..], tail[..read]);
    }

    [Fact]
    public async Task An_upload_one_byte_past_the_limit_is_refused_having_read_no_more_than_that_byte()
    {
        var body = new TrickleStream(new byte[300_000], 50_000);
        using var buffer = new UploadBuffer();

        var fits = await buffer.FillAsync(body, limit: 100_000, CancellationToken.None);

        Assert.False(fits);
        Assert.Equal(100_001, buffer.Length);
        Assert.Equal(100_001, body.Position);
    }

    // A body that gives at most `chunk` bytes a read, as a network stream does.
    private sealed class TrickleStream(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
