using System.Globalization;
using System.Text;

namespace CnnClassify.Inference;

/// <summary>
/// Text from files (class names, folder names, names inside a model) made safe to print on a
/// terminal: an escape sequence in a folder's name could otherwise clear the screen, retitle the
/// window or hide what follows it.
/// </summary>
public static class TerminalText
{
    /// <summary>
    /// <paramref name="text"/> with every control character (C0, DEL, C1) written as <c>\xHH</c>, and
    /// every invisible formatting character (bidirectional overrides, zero-width marks) and lone
    /// surrogate as <c>\uHHHH</c>; other text is unchanged.
    /// </summary>
    /// <param name="text">The text to print.</param>
    /// <returns>The text as it may be printed.</returns>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(NeedsEscape))
        {
            return text;
        }

        var result = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                result.Append(c).Append(text[++i]);
            }
            else if (c < 0x100 && char.IsControl(c))
            {
                result.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else if (NeedsEscape(c))
            {
                result.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }

    private static bool NeedsEscape(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
