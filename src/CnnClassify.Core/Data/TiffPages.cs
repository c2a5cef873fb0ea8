using System.Buffers.Binary;

namespace CnnClassify.Data;

/// <summary>Counts the pages (image file directories) of a TIFF by walking their chain, without decoding any.</summary>
internal static class TiffPages
{
    private const int MaxPages = 1024;

    /// <summary>The number of pages of the TIFF at the stream's position (2 or more may mean "at least"); the position is restored.</summary>
    public static int Count(Stream stream)
    {
        var start = stream.Position;
        try
        {
            Span<byte> header = stackalloc byte[16];
            if (stream.ReadAtLeast(header, 8, throwOnEndOfStream: false) < 8)
            {
                return 0;
            }

            var little = header[0] == (byte)'I';
            var big = (little ? BinaryPrimitives.ReadUInt16LittleEndian(header[2..]) : BinaryPrimitives.ReadUInt16BigEndian(header[2..])) == 43;
            ulong offset;
            if (big)
            {
                stream.Position = start + 8;
                if (stream.ReadAtLeast(header[..8], 8, throwOnEndOfStream: false) < 8)
                {
                    return 0;
                }

                offset = little ? BinaryPrimitives.ReadUInt64LittleEndian(header) : BinaryPrimitives.ReadUInt64BigEndian(header);
            }
            else
            {
                offset = little ? BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) : BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
            }

            var seen = new HashSet<ulong>();
            var length = (ulong)(stream.Length - start);
            while (offset != 0 && offset < length && seen.Add(offset) && seen.Count <= MaxPages)
            {
                // Entry count, entries of 12 (20 in BigTIFF) bytes, then the next directory's offset.
                stream.Position = start + (long)offset;
                var countSize = big ? 8 : 2;
                if (stream.ReadAtLeast(header[..countSize], countSize, throwOnEndOfStream: false) < countSize)
                {
                    break;
                }

                var entries = big
                    ? (little ? BinaryPrimitives.ReadUInt64LittleEndian(header) : BinaryPrimitives.ReadUInt64BigEndian(header))
                    : (little ? BinaryPrimitives.ReadUInt16LittleEndian(header) : BinaryPrimitives.ReadUInt16BigEndian(header));
                var next = offset + (ulong)countSize + (entries * (big ? 20UL : 12UL));
                if (entries > 1 << 16 || next >= length)
                {
                    break;
                }

                stream.Position = start + (long)next;
                var nextSize = big ? 8 : 4;
                if (stream.ReadAtLeast(header[..nextSize], nextSize, throwOnEndOfStream: false) < nextSize)
                {
                    break;
                }

                offset = big
                    ? (little ? BinaryPrimitives.ReadUInt64LittleEndian(header) : BinaryPrimitives.ReadUInt64BigEndian(header))
                    : (little ? BinaryPrimitives.ReadUInt32LittleEndian(header) : BinaryPrimitives.ReadUInt32BigEndian(header));
            }

            return seen.Count;
        }
        finally
        {
            stream.Position = start;
        }
    }
}
