namespace CnnClassify.Interop;

/// <summary>Writes files so that readers see the old content or the new, never a partial file.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes through <paramref name="write"/> to a temporary file beside <paramref name="path"/>,
    /// flushes it to disk, then renames it over <paramref name="path"/>. If writing fails or the
    /// process dies, <paramref name="path"/> keeps its old content.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="write">Writes the whole content to the stream it is given.</param>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
