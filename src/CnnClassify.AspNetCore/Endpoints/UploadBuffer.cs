using System.Buffers;

namespace CnnClassify.Serving.Endpoints;

/// <summary>
/// An upload's bytes as a read-only, seekable stream over 64 KiB segments from a bounded pool:
/// nothing is allocated for what a client only declares, no upload lands on the large-object
/// heap, and the pool keeps at most 16 MiB between requests, so a stream of large, cut-short or
/// refused uploads leaves the server's memory where it was.
/// </summary>
internal sealed class UploadBuffer : Stream
{
    private const int SegmentSize = 64 * 1024;

    // Segments stay below the large-object threshold (85,000 bytes); 256 of them are kept for reuse.
    private static readonly ArrayPool<byte> Segments = ArrayPool<byte>.Create(SegmentSize, 256);

    private readonly List<byte[]> _segments = [];
    private long _length;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>Reads <paramref name="body"/> to its end, or stops at the first byte past <paramref name="limit"/>.</summary>
    /// <returns>Whether the body fits the limit.</returns>
    public async Task<bool> FillAsync(Stream body, long limit, CancellationToken cancellation)
    {
        while (true)
        {
            var offset = (int)(_length % SegmentSize);
            if (offset == 0 && _length == (long)_segments.Count * SegmentSize)
            {
                _segments.Add(Segments.Rent(SegmentSize));
            }

            var wanted = (int)Math.Min(SegmentSize - offset, limit + 1 - _length);
            var read = await body.ReadAsync(_segments[^1].AsMemory(offset, wanted), cancellation).ConfigureAwait(false);
            if (read == 0)
            {
                return true;
            }

            _length += read;
            if (_length > limit)
            {
                return false;
            }
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var copied = 0;
        while (copied < buffer.Length && _position < _length)
        {
            var segment = _segments[(int)(_position / SegmentSize)];
            var start = (int)(_position % SegmentSize);
            var count = (int)Math.Min(Math.Min(SegmentSize - start, _length - _position), buffer.Length - copied);
            segment.AsSpan(start, count).CopyTo(buffer[copied..]);
            copied += count;
            _position += count;
        }

        return copied;
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => _length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException("An upload is read-only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("An upload is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _segments.ForEach(segment => Segments.Return(segment));
            _segments.Clear();
        }

        base.Dispose(disposing);
    }
}
