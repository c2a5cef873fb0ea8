using System.Text;

namespace CnnClassify.Interop;

/// <summary>
/// Checks a pickle before anything unpickles it. A pickle is a program: its <c>GLOBAL</c> and
/// <c>STACK_GLOBAL</c> instructions name any Python callable (<c>os.system</c> included), which a
/// loader would then call. A state dict needs only ordered dicts, tensors and their storages, so
/// every other global, the extension registry, and any opcode that cannot be read, is refused.
/// </summary>
internal static class PickleGuard
{
    private static readonly HashSet<string> AllowedGlobals = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_tensor_v3",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch.Size",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage",
        "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage",
        "torch.ByteStorage", "torch.BoolStorage",
    };

    /// <summary>Throws unless every global <paramref name="pickle"/> names is one a state dict needs.</summary>
    /// <param name="pickle">The pickle's bytes.</param>
    /// <param name="source">The file and entry, for messages.</param>
    /// <exception cref="InvalidDataException">The pickle names another global, uses the extension registry, or cannot be read.</exception>
    public static void Check(ReadOnlySpan<byte> pickle, string source)
    {
        var strings = new List<string?>();
        var memo = new Dictionary<long, string?>();
        var position = 0;
        while (position < pickle.Length)
        {
            var opcode = (char)pickle[position++];
            string? pushed = null;
            var pushes = true;
            switch (opcode)
            {
                case '.':
                    return;
                case 'c' or 'i':
                    var module = Line(pickle, ref position, source);
                    var name = Line(pickle, ref position, source);
                    Require($"{module}.{name}", source);
                    break;
                case '\x93':
                    if (strings.Count < 2 || strings[^2] is not { } stackModule || strings[^1] is not { } stackName)
                    {
                        throw Refused(source, "it names a global through values this check cannot follow");
                    }

                    Require($"{stackModule}.{stackName}", source);
                    break;
                case '\x82' or '\x83' or '\x84':
                    throw Refused(source, "it uses the pickle extension registry, which can name any callable");
                case '\x80' or 'K':
                    Skip(pickle, ref position, 1, source);
                    pushes = opcode == 'K';
                    break;
                case 'h' or 'j':
                    pushed = memo.GetValueOrDefault(Fixed(pickle, ref position, opcode == 'h' ? 1 : 4, source));
                    break;
                case 'q' or 'r':
                    memo[Fixed(pickle, ref position, opcode == 'q' ? 1 : 4, source)] = strings.Count > 0 ? strings[^1] : null;
                    pushes = false;
                    break;
                case '\x94':
                    memo[memo.Count] = strings.Count > 0 ? strings[^1] : null;
                    pushes = false;
                    break;
                case 'M' or 'J' or 'G':
                    Skip(pickle, ref position, opcode switch { 'M' => 2, 'J' => 4, _ => 8 }, source);
                    break;
                case '\x95':
                    Skip(pickle, ref position, 8, source);
                    pushes = false;
                    break;
                case '\x8c':
                    pushed = Encoding.UTF8.GetString(Counted(pickle, ref position, 1, source));
                    break;
                case 'X' or '\x8d':
                    pushed = Encoding.UTF8.GetString(Counted(pickle, ref position, opcode == 'X' ? 4 : 8, source));
                    break;
                case 'U' or 'C' or '\x8a':
                    Counted(pickle, ref position, 1, source);
                    break;
                case 'T' or 'B' or '\x8b':
                    Counted(pickle, ref position, 4, source);
                    break;
                case '\x8e' or '\x96':
                    Counted(pickle, ref position, 8, source);
                    break;
                case 'V':
                    pushed = Line(pickle, ref position, source);
                    break;
                case 'I' or 'L' or 'F' or 'S' or 'P' or 'g' or 'p':
                    Line(pickle, ref position, source);
                    pushes = opcode is not 'p';
                    break;
                case '(' or '0' or '1' or '2' or 'a' or 'b' or 'd' or '}' or 'e' or 'l' or ']' or 'o' or 'R' or 's' or 't' or ')' or 'u'
                    or 'N' or 'Q' or '\x81' or '\x85' or '\x86' or '\x87' or '\x88' or '\x89' or '\x8f' or '\x90' or '\x91' or '\x92' or '\x97' or '\x98':
                    break;
                default:
                    throw Refused(source, $"it holds opcode 0x{(int)opcode:x2} at byte {position - 1}, which is not a pickle instruction");
            }

            if (pushes)
            {
                strings.Add(pushed);
            }
        }

        throw Refused(source, "it ends without its STOP instruction (truncated)");
    }

    private static void Require(string global, string source)
    {
        if (!AllowedGlobals.Contains(global))
        {
            throw Refused(source, $"it names the global {global}, which a state dict never needs (loading it could run code); only tensors, their storages and ordered dicts are allowed");
        }
    }

    private static InvalidDataException Refused(string source, string reason) =>
        new($"PyTorch file '{source}' was not loaded: {reason}. Nothing in it was run.");

    private static string Line(ReadOnlySpan<byte> pickle, ref int position, string source)
    {
        var end = pickle[position..].IndexOf((byte)'\n');
        if (end < 0)
        {
            throw Refused(source, "it is truncated inside an instruction");
        }

        var text = Encoding.UTF8.GetString(pickle.Slice(position, end));
        position += end + 1;
        return text;
    }

    private static long Fixed(ReadOnlySpan<byte> pickle, ref int position, int size, string source)
    {
        Skip(pickle, ref position, size, source);
        long value = 0;
        for (var i = size - 1; i >= 0; i--)
        {
            value = (value << 8) | pickle[position - size + i];
        }

        return value;
    }

    private static ReadOnlySpan<byte> Counted(ReadOnlySpan<byte> pickle, ref int position, int lengthSize, string source)
    {
        var length = Fixed(pickle, ref position, lengthSize, source);
        if (length < 0 || length > pickle.Length - position)
        {
            throw Refused(source, "it is truncated inside an instruction");
        }

        var data = pickle.Slice(position, (int)length);
        position += (int)length;
        return data;
    }

    private static void Skip(ReadOnlySpan<byte> pickle, ref int position, int size, string source)
    {
        if (position + size > pickle.Length)
        {
            throw Refused(source, "it is truncated inside an instruction");
        }

        position += size;
    }
}
