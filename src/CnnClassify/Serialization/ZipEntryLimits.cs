using System.IO.Compression;

namespace CnnClassify.Serialization;

/// <summary>
/// Bounds on what a zip entry (of a checkpoint or a <c>torch.save</c> file) may inflate to, checked
/// from its header before it is inflated, and enforced while it is read in case the header lies.
/// </summary>
internal static class ZipEntryLimits
{
    /// <summary>
    /// Most an entry may grow when inflated: 4 times plus 1 MiB. Weights barely compress (the files
    /// this library and PyTorch write store them uncompressed), so a larger ratio is a zip bomb.
    /// </summary>
    public const int MaxInflationRatio = 4;

    private const long Slack = 1 << 20;

    /// <summary>Throws unless <paramref name="entry"/> inflates by at most <see cref="MaxInflationRatio"/>.</summary>
    /// <param name="entry">The entry.</param>
    /// <param name="path">The archive, for messages.</param>
    public static void CheckInflation(ZipArchiveEntry entry, string path)
    {
        if (entry.Length > (entry.CompressedLength * MaxInflationRatio) + Slack)
        {
            throw new InvalidDataException($"'{path}': its entry '{entry.FullName}' says it inflates from {entry.CompressedLength:N0} to {entry.Length:N0} bytes, more than weights ever compress ({MaxInflationRatio}x); it was not inflated.");
        }
    }

    /// <summary>Reads all of <paramref name="entry"/>, which may hold at most <paramref name="maxBytes"/>.</summary>
    /// <param name="entry">The entry.</param>
    /// <param name="maxBytes">The most bytes it may inflate to.</param>
    /// <param name="path">The archive, for messages.</param>
    /// <returns>The inflated bytes.</returns>
    public static byte[] ReadAll(ZipArchiveEntry entry, long maxBytes, string path)
    {
        if (entry.Length > maxBytes)
        {
            throw new InvalidDataException($"'{path}': its entry '{entry.FullName}' says it inflates to {entry.Length:N0} bytes, more than the {maxBytes:N0} it may hold; it was not inflated.");
        }

        using var stream = entry.Open();
        var buffer = new byte[entry.Length];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read != buffer.Length || stream.ReadByte() >= 0)
        {
            throw new InvalidDataException($"'{path}': its entry '{entry.FullName}' inflates to a size other than the {entry.Length:N0} bytes its header gives (damaged or crafted).");
        }

        return buffer;
    }
}
