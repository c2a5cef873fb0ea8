
namespace CnnClassify.Serialization;

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
    /// <exception cref="IOException">The file could not be written (a full disk, say); the message names it and says the old content is unchanged, and no temporary file remains.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temporary = TemporaryPath(full);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch (IOException ex)
        {
            File.Delete(temporary);
            throw new IOException($"Could not write '{full}': {Reason(ex)}. {(File.Exists(full) ? "Its previous content is unchanged." : "Nothing was written.")}", ex);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>The innermost I/O error's own words, without the temporary file's name.</summary>
    private static string Reason(Exception error)
    {
        while (error.InnerException is IOException inner)
        {
            error = inner;
        }

        var message = error.Message;
        var path = message.IndexOf(" : '", StringComparison.Ordinal);
        return (path > 0 ? message[..path] : message).TrimEnd('.');
    }

    /// <summary>A new temporary path beside <paramref name="path"/>, of the kind <see cref="RemoveStale"/> removes: <c>.NAME.GUID.tmp</c>.</summary>
    /// <param name="path">The file the temporary one stands in for.</param>
    public static string TemporaryPath(string path)
    {
        var full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>
    /// Deletes the temporary files that atomic writes of <paramref name="paths"/> left behind when
    /// their process was killed: <c>.NAME.GUID.tmp</c> beside each, for its own NAME only, so that
    /// another program's temporary files in the same folder are never touched. Call it when no
    /// other process is writing those files.
    /// </summary>
    /// <param name="paths">The files whose leftovers to remove; missing folders are left alone.</param>
    /// <returns>How many files were removed.</returns>
    public static int RemoveStale(params IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var removed = 0;
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path);
            var directory = Path.GetDirectoryName(full)!;
            var name = Path.GetFileName(full);
            if (!Directory.Exists(directory))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(directory, $".{name}.*.tmp"))
            {
                var middle = Path.GetFileName(file)[(name.Length + 2)..^4];
                if (middle.Length == 32 && middle.All(char.IsAsciiHexDigitLower))
                {
                    File.Delete(file);
                    removed++;
                }
            }
        }

        return removed;
    }
}
