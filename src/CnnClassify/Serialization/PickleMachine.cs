using System.Text;

namespace CnnClassify.Serialization;

/// <summary>
/// Runs a pickle's instructions as CPython's unpickler does, without calling anything: it keeps
/// the stack, the mark stack and the memo, knows the value of every string, and reports each global
/// the pickle names at the moment the unpickler would look it up. Every opcode of protocols 0–5 is
/// read; every opcode that touches the memo (<c>PUT</c>, <c>BINPUT</c>, <c>LONG_BINPUT</c>,
/// <c>MEMOIZE</c>, <c>GET</c>, <c>BINGET</c>, <c>LONG_BINGET</c>) updates it exactly as CPython
/// does, so that no sequence of them can make a string seen here differ from the one Python sees.
/// </summary>
internal static class PickleMachine
{
    /// <summary>Most instructions one pickle may hold; a state dict of 100,000 tensors needs about 2 million.</summary>
    public const int MaxInstructions = 16 << 20;

    /// <summary>Most values and marks on the stack together; a state dict's pickle holds a few thousand.</summary>
    public const int MaxStackDepth = 1 << 20;

    /// <summary>One more than the largest memo index, and so the most memo entries; a state dict uses about eight per tensor.</summary>
    public const int MaxMemo = 2 << 20;

    private const int HighestProtocol = 5;

    // Every value that is not a string: numbers, containers, objects a call returned, buffers.
    private static readonly object Opaque = new();

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads the pickle to its <c>STOP</c> instruction.</summary>
    /// <param name="pickle">The pickle's bytes.</param>
    /// <param name="source">The file and entry, for messages.</param>
    /// <param name="onGlobal">Called with the module and name of each global, in the order Python looks them up.</param>
    /// <exception cref="InvalidDataException">The pickle is damaged, would fail in Python, passes a limit, or uses the extension registry.</exception>
    public static void Run(ReadOnlySpan<byte> pickle, string source, Action<string, string> onGlobal)
    {
        var reader = new Reader(pickle, source);
        var stack = new ValueStack(source);
        var memo = new Dictionary<long, object>();
        for (var instructions = 0; ; instructions++)
        {
            if (instructions >= MaxInstructions)
            {
                throw Refused(source, $"it holds more than {MaxInstructions:N0} instructions, far more than any state dict");
            }

            if (reader.AtEnd)
            {
                throw Refused(source, "it ends without its STOP instruction (truncated)");
            }

            var at = reader.Position;
            var opcode = (char)reader.Byte();
            switch (opcode)
            {
                case '.':
                    stack.Pop();
                    return;
                case '\x80':
                    if (reader.Byte() > HighestProtocol)
                    {
                        throw Refused(source, $"it asks for a pickle protocol above {HighestProtocol}");
                    }

                    break;
                case '\x95':
                    reader.Frame();
                    break;

                // Numbers, constants, bytes, buffers and empty containers: values, never strings.
                case 'N' or '\x88' or '\x89' or '\x97' or ']' or ')' or '}' or '\x8f':
                    stack.Push(Opaque);
                    break;
                case 'K' or 'M' or 'J' or 'G':
                    reader.Skip(opcode switch { 'K' => 1, 'M' => 2, 'J' => 4, _ => 8 });
                    stack.Push(Opaque);
                    break;
                case '\x8a' or 'C' or '\x8b' or 'B' or '\x8e' or '\x96':
                    reader.Counted(opcode switch { '\x8a' or 'C' => 1, '\x8b' or 'B' => 4, _ => 8 });
                    stack.Push(Opaque);
                    break;
                case 'I' or 'L' or 'F' or 'P':
                    reader.Line();
                    stack.Push(Opaque);
                    break;
                case '\x98':
                    stack.Replace(Opaque);
                    break;

                // Strings: str in Python 3, whichever opcode wrote them (torch.load decodes the old
                // byte strings as UTF-8).
                case 'S':
                    stack.Push(Decode(PythonEscapes.Quoted(reader.Line(), source), source));
                    break;
                case 'U' or '\x8c' or 'T' or 'X' or '\x8d':
                    stack.Push(Decode(reader.Counted(opcode switch { 'U' or '\x8c' => 1, '\x8d' => 8, _ => 4 }), source));
                    break;
                case 'V':
                    stack.Push(PythonEscapes.RawUnicode(reader.Line(), source));
                    break;

                // Containers.
                case 'a':
                    stack.Pop();
                    stack.Top();
                    break;
                case 's':
                    stack.Pop();
                    stack.Pop();
                    stack.Top();
                    break;
                case 'e' or 'u' or '\x90':
                    stack.PopMark();
                    stack.Top();
                    break;
                case 'l' or 't' or 'd' or '\x91':
                    stack.PopMark();
                    stack.Push(Opaque);
                    break;
                case '\x85' or '\x86' or '\x87':
                    for (var i = 0; i < opcode - '\x84'; i++)
                    {
                        stack.Pop();
                    }

                    stack.Push(Opaque);
                    break;

                // The stack itself.
                case '(':
                    stack.Mark();
                    break;
                case '0':
                    stack.PopOrPopMark();
                    break;
                case '1':
                    stack.PopMark();
                    break;
                case '2':
                    stack.Push(stack.Top());
                    break;

                // The memo.
                case 'p':
                    Put(memo, PythonEscapes.Integer(reader.Line(), source), stack.Top(), source);
                    break;
                case 'q':
                    Put(memo, reader.Fixed(1), stack.Top(), source);
                    break;
                case 'r':
                    Put(memo, reader.Fixed(4), stack.Top(), source);
                    break;
                case '\x94':
                    Put(memo, memo.Count, stack.Top(), source);
                    break;
                case 'g':
                    stack.Push(Get(memo, PythonEscapes.Integer(reader.Line(), source), source));
                    break;
                case 'h':
                    stack.Push(Get(memo, reader.Fixed(1), source));
                    break;
                case 'j':
                    stack.Push(Get(memo, reader.Fixed(4), source));
                    break;

                // Globals and calls.
                case 'c':
                    {
                        var module = Decode(reader.Line(), source);
                        onGlobal(module, Decode(reader.Line(), source));
                        stack.Push(Opaque);
                        break;
                    }

                case '\x93':
                    {
                        var name = stack.Pop();
                        if (stack.Pop() is not string module || name is not string text)
                        {
                            throw Refused(source, $"its STACK_GLOBAL at byte {at} names a global with values that are not strings (Python refuses that too)");
                        }

                        onGlobal(module, text);
                        stack.Push(Opaque);
                        break;
                    }

                case 'i':
                    {
                        if (!stack.HasMark)
                        {
                            throw Refused(source, $"its INST at byte {at} has no MARK before it");
                        }

                        // CPython reads INST's names as ASCII, GLOBAL's as UTF-8.
                        var module = Ascii(reader.Line(), source);
                        onGlobal(module, Ascii(reader.Line(), source));
                        stack.PopMark();
                        stack.Push(Opaque);
                        break;
                    }

                case 'o':
                    stack.PopMark();
                    stack.Push(Opaque);
                    break;
                case 'R' or '\x81':
                    stack.Pop();
                    stack.Pop();
                    stack.Push(Opaque);
                    break;
                case '\x92':
                    stack.Pop();
                    stack.Pop();
                    stack.Pop();
                    stack.Push(Opaque);
                    break;
                case 'b':
                    stack.Pop();
                    stack.Replace(Opaque);
                    break;
                case 'Q':
                    stack.Pop();
                    stack.Push(Opaque);
                    break;
                case '\x82' or '\x83' or '\x84':
                    throw Refused(source, "it uses the pickle extension registry, which can name any callable");
                default:
                    throw Refused(source, $"it holds opcode 0x{(int)opcode:x2} at byte {at}, which is not a pickle instruction");
            }
        }
    }

    /// <summary>The message every refusal shares: the file, the reason, and that nothing ran.</summary>
    public static InvalidDataException Refused(string source, string reason) =>
        new($"PyTorch file '{source}' was not loaded: {reason}. Nothing in it was run.");

    private static string Decode(ReadOnlySpan<byte> bytes, string source)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Refused(source, "it holds a name or string that is not valid UTF-8");
        }
    }

    private static string Ascii(ReadOnlySpan<byte> bytes, string source) =>
        bytes.ContainsAnyExceptInRange((byte)0, (byte)127)
            ? throw Refused(source, "its INST instruction names a global with bytes outside ASCII (Python refuses that too)")
            : Encoding.ASCII.GetString(bytes);

    private static void Put(Dictionary<long, object> memo, long index, object value, string source)
    {
        if (index < 0 || index >= MaxMemo)
        {
            throw Refused(source, $"it stores memo entry {index}, outside 0 to {MaxMemo - 1:N0}");
        }

        memo[index] = value;
    }

    private static object Get(Dictionary<long, object> memo, long index, string source) =>
        memo.TryGetValue(index, out var value) ? value : throw Refused(source, $"it reads memo entry {index}, which it never stored (Python refuses that too)");

    /// <summary>
    /// The unpickler's stack with its marks: values above the last mark are the current frame, which
    /// every instruction but the mark ones sees; a <c>POP</c> on an empty frame drops the mark.
    /// </summary>
    private sealed class ValueStack(string source)
    {
        private readonly List<object> _values = [];
        private readonly Stack<int> _marks = new();

        public bool HasMark => _marks.Count > 0;

        private int Fence => _marks.Count > 0 ? _marks.Peek() : 0;

        public void Push(object value)
        {
            Grow();
            _values.Add(value);
        }

        public object Top() =>
            _values.Count > Fence ? _values[^1] : throw Refused(source, "it reads past the top of its stack or mark (Python refuses that too)");

        public object Pop()
        {
            var value = Top();
            _values.RemoveAt(_values.Count - 1);
            return value;
        }

        public void Replace(object value)
        {
            Top();
            _values[^1] = value;
        }

        public void Mark()
        {
            Grow();
            _marks.Push(_values.Count);
        }

        public void PopMark()
        {
            if (!_marks.TryPop(out var fence))
            {
                throw Refused(source, "it closes a MARK it never opened (Python refuses that too)");
            }

            _values.RemoveRange(fence, _values.Count - fence);
        }

        public void PopOrPopMark()
        {
            if (_values.Count > Fence)
            {
                _values.RemoveAt(_values.Count - 1);
            }
            else
            {
                PopMark();
            }
        }

        private void Grow()
        {
            if (_values.Count + _marks.Count >= MaxStackDepth)
            {
                throw Refused(source, $"its stack grows past {MaxStackDepth:N0} values and marks, far more than any state dict needs");
            }
        }
    }

    /// <summary>Reads the pickle's bytes, refusing any instruction that runs past its end.</summary>
    private ref struct Reader(ReadOnlySpan<byte> pickle, string source)
    {
        private readonly ReadOnlySpan<byte> _pickle = pickle;

        // Where the current frame ends; -1 outside frames. CPython reads a frame into a buffer
        // and, when a read runs past the frame's end with frame bytes left, drops those bytes and
        // reads on from the file, so the same bytes parse differently there than read straight
        // through. Picklers never split an instruction across frames; such a file is refused.
        private long _frameEnd = -1;

        public int Position { get; private set; }

        public readonly bool AtEnd => Position >= _pickle.Length;

        public byte Byte()
        {
            Skip(1);
            return _pickle[Position - 1];
        }

        public void Frame()
        {
            if (_frameEnd > Position)
            {
                throw Refused(source, $"it starts a frame at byte {Position - 1} inside another frame");
            }

            var length = Fixed(8);
            if (length < 0 || length > _pickle.Length - Position)
            {
                throw Refused(source, "it is truncated inside a frame");
            }

            _frameEnd = Position + length;
        }

        public void Skip(long count)
        {
            if (count < 0 || count > _pickle.Length - Position)
            {
                throw Refused(source, "it is truncated inside an instruction");
            }

            Advance(count);
        }

        private void Advance(long count)
        {
            if (Position < _frameEnd && Position + count > _frameEnd)
            {
                throw Refused(source, $"an instruction at byte {Position} runs past the end of its frame at byte {_frameEnd} (Python would read it differently)");
            }

            Position += (int)count;
        }

        // A little-endian unsigned number of `size` bytes.
        public long Fixed(int size)
        {
            Skip(size);
            long value = 0;
            for (var i = size - 1; i >= 0; i--)
            {
                value = (value << 8) | _pickle[Position - size + i];
            }

            return value;
        }

        // Bytes after a little-endian length of `lengthSize` bytes (none for 0).
        public ReadOnlySpan<byte> Counted(int lengthSize)
        {
            var length = lengthSize == 0 ? 0 : Fixed(lengthSize);
            if (lengthSize == 8 && length < 0)
            {
                throw Refused(source, "it is truncated inside an instruction");
            }

            var start = Position;
            Skip(length);
            return _pickle.Slice(start, (int)length);
        }

        // The line up to its newline, which is consumed and left out, as Python's readline()[:-1].
        public ReadOnlySpan<byte> Line()
        {
            var end = _pickle[Position..].IndexOf((byte)'\n');
            if (end < 0)
            {
                throw Refused(source, "it is truncated inside an instruction");
            }

            var line = _pickle.Slice(Position, end);
            Advance(end + 1);
            return line;
        }
    }
}
