using System.Text;

namespace CnnClassify.Serialization;

/// <summary>
/// The text forms a pickle's line-based opcodes carry, read as CPython's C unpickler reads them:
/// quoted byte strings with backslash escapes (<c>STRING</c>), raw-unicode-escaped text
/// (<c>UNICODE</c>), and decimal integers (<c>PUT</c>, <c>GET</c>).
/// </summary>
internal static class PythonEscapes
{
    /// <summary>
    /// A <c>STRING</c> argument: quoted with matching <c>'</c> or <c>"</c>, the inside decoded as a
    /// Python bytes literal's escapes (<c>\n</c>, <c>\x41</c>, octal <c>\101</c>, an unknown escape
    /// kept as written).
    /// </summary>
    public static byte[] Quoted(ReadOnlySpan<byte> line, string source)
    {
        if (line.Length < 2 || line[0] != line[^1] || line[0] is not ((byte)'\'' or (byte)'"'))
        {
            throw PickleMachine.Refused(source, "its STRING argument is not quoted (Python refuses that too)");
        }

        var text = line[1..^1];
        var result = new List<byte>(text.Length);
        for (var i = 0; i < text.Length;)
        {
            var c = text[i++];
            if (c != '\\')
            {
                result.Add(c);
                continue;
            }

            if (i == text.Length)
            {
                throw PickleMachine.Refused(source, "its STRING argument ends in a lone backslash (Python refuses that too)");
            }

            var escape = text[i++];
            switch ((char)escape)
            {
                case '\n':
                    break;
                case '\\' or '\'' or '"':
                    result.Add(escape);
                    break;
                case 'b': result.Add(8); break;
                case 'f': result.Add(12); break;
                case 't': result.Add(9); break;
                case 'n': result.Add(10); break;
                case 'r': result.Add(13); break;
                case 'v': result.Add(11); break;
                case 'a': result.Add(7); break;
                case >= '0' and <= '7':
                    var value = escape - '0';
                    for (var digits = 1; digits < 3 && i < text.Length && text[i] is >= (byte)'0' and <= (byte)'7'; digits++)
                    {
                        value = (value << 3) + (text[i++] - '0');
                    }

                    result.Add((byte)value);
                    break;
                case 'x':
                    if (i + 1 < text.Length && Hex(text[i]) is >= 0 and var high && Hex(text[i + 1]) is >= 0 and var low)
                    {
                        result.Add((byte)((high << 4) + low));
                        i += 2;
                        break;
                    }

                    throw PickleMachine.Refused(source, "its STRING argument has an invalid \\x escape (Python refuses that too)");
                default:
                    result.Add((byte)'\\');
                    i--;
                    break;
            }
        }

        return [.. result];
    }

    /// <summary>
    /// A <c>UNICODE</c> argument: each byte is the code point of the same value, except that a
    /// backslash followed by <c>u</c> and four hex digits, or <c>U</c> and eight, is that code
    /// point; a backslash before anything else is kept, with what follows it.
    /// </summary>
    public static string RawUnicode(ReadOnlySpan<byte> line, string source)
    {
        var result = new StringBuilder(line.Length);
        for (var i = 0; i < line.Length;)
        {
            var c = line[i++];
            if (c != '\\' || i >= line.Length)
            {
                result.Append((char)c);
                continue;
            }

            var kind = line[i++];
            if (kind is not ((byte)'u' or (byte)'U'))
            {
                result.Append('\\').Append((char)kind);
                continue;
            }

            var count = kind == 'u' ? 4 : 8;
            var codePoint = 0L;
            for (; count > 0; count--, i++)
            {
                if (i >= line.Length || Hex(line[i]) is not (>= 0 and var digit))
                {
                    throw PickleMachine.Refused(source, "its UNICODE argument has a truncated or invalid \\u escape (Python refuses that too)");
                }

                codePoint = (codePoint << 4) + digit;
            }

            if (codePoint > 0x10FFFF)
            {
                throw PickleMachine.Refused(source, "its UNICODE argument has a \\U escape out of range (Python refuses that too)");
            }

            if (codePoint is >= 0xD800 and <= 0xDFFF)
            {
                result.Append((char)codePoint);
            }
            else
            {
                result.Append(char.ConvertFromUtf32((int)codePoint));
            }
        }

        return result.ToString();
    }

    /// <summary>
    /// A decimal integer as CPython's <c>PyLong_FromString</c> reads a line: the text stops at a NUL
    /// byte; spaces around it, a sign, and single underscores between digits are allowed. Values
    /// past <see cref="int.MaxValue"/> come back as <see cref="long.MaxValue"/>.
    /// </summary>
    public static long Integer(ReadOnlySpan<byte> line, string source)
    {
        // The line arrives without its newline; CPython's copy ends at the first NUL.
        if (line.Length == 0)
        {
            throw PickleMachine.Refused(source, "it has an empty memo index (Python refuses that too)");
        }

        var nul = line.IndexOf((byte)0);
        var text = nul >= 0 ? line[..nul] : line;
        var i = 0;
        while (i < text.Length && IsSpace(text[i]))
        {
            i++;
        }

        var negative = false;
        if (i < text.Length && text[i] is (byte)'+' or (byte)'-')
        {
            negative = text[i++] == '-';
        }

        long value = 0;
        var digits = 0;
        var afterUnderscore = false;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (c is >= (byte)'0' and <= (byte)'9')
            {
                value = value > int.MaxValue ? value : (value * 10) + (c - '0');
                digits++;
                afterUnderscore = false;
            }
            else if (c == '_' && digits > 0 && !afterUnderscore)
            {
                afterUnderscore = true;
            }
            else
            {
                break;
            }
        }

        while (i < text.Length && IsSpace(text[i]))
        {
            i++;
        }

        if (digits == 0 || afterUnderscore || i != text.Length)
        {
            throw PickleMachine.Refused(source, "it has a memo index that is not a decimal number (Python refuses that too)");
        }

        value = value > int.MaxValue ? long.MaxValue : value;
        return negative ? -value : value;
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (>= 9 and <= 13);

    private static int Hex(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
