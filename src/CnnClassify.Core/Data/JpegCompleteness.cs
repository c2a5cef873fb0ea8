namespace CnnClassify.Data;

/// <summary>
/// Whether a JPEG holds all of its image: its segments are walked from the start-of-image marker
/// through every scan's entropy-coded data to the end-of-image marker. A file cut short (an
/// interrupted copy or download) ends before that marker; decoders would fill the missing rows with
/// grey and classify the rest, where PIL refuses such a file ("image file is truncated").
/// </summary>
internal static class JpegCompleteness
{
    private const int BufferBytes = 64 * 1024;

    /// <summary>Whether <paramref name="stream"/>, positioned at a JPEG's first byte, reaches its end-of-image marker; the position is restored.</summary>
    public static bool IsComplete(Stream stream)
    {
        var start = stream.Position;
        try
        {
            var reader = new ByteReader(stream);
            if (reader.Next() != 0xFF || reader.Next() != 0xD8)
            {
                return false;
            }

            while (true)
            {
                // A marker: one or more 0xFF fill bytes, then its code.
                if (reader.Next() != 0xFF)
                {
                    return false;
                }

                int marker;
                do
                {
                    marker = reader.Next();
                }
                while (marker == 0xFF);

                switch (marker)
                {
                    case < 0:
                        return false;
                    case 0xD9:
                        return true;
                    case 0x01 or (>= 0xD0 and <= 0xD8):
                        continue;
                }

                var high = reader.Next();
                var low = reader.Next();
                if (low < 0 || ((high << 8) | low) < 2 || !reader.Skip(((high << 8) | low) - 2))
                {
                    return false;
                }

                if (marker == 0xDA && !reader.SkipEntropyCodedData())
                {
                    return false;
                }
            }
        }
        finally
        {
            stream.Position = start;
        }
    }

    private sealed class ByteReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[BufferBytes];
        private int _position;
        private int _count;

        public int Next() => Fill() ? _buffer[_position++] : -1;

        public int Peek() => Fill() ? _buffer[_position] : -1;

        public bool Skip(int count)
        {
            while (count > 0)
            {
                if (!Fill())
                {
                    return false;
                }

                var step = Math.Min(count, _count - _position);
                _position += step;
                count -= step;
            }

            return true;
        }

        // Scan data runs to the next marker that is not a stuffed 0xFF 0x00 or a restart marker;
        // leaves that marker's 0xFF unread.
        public bool SkipEntropyCodedData()
        {
            while (Fill())
            {
                var found = _buffer.AsSpan(_position, _count - _position).IndexOf((byte)0xFF);
                if (found < 0)
                {
                    _position = _count;
                    continue;
                }

                _position += found + 1;
                var code = Peek();
                if (code < 0)
                {
                    return false;
                }

                if (code == 0x00 || code is >= 0xD0 and <= 0xD7 || code == 0xFF)
                {
                    if (code != 0xFF)
                    {
                        _position++;
                    }

                    continue;
                }

                _position--;
                return true;
            }

            return false;
        }

        private bool Fill()
        {
            if (_position < _count)
            {
                return true;
            }

            // Keep the last byte when refilling so that a step back over a 0xFF stays possible.
            var keep = _count > 0 ? 1 : 0;
            if (keep == 1)
            {
                _buffer[0] = _buffer[_count - 1];
            }

            var read = stream.Read(_buffer, keep, _buffer.Length - keep);
            _count = keep + read;
            _position = keep;
            return read > 0;
        }
    }
}
