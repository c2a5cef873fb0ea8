using System.Runtime.InteropServices;
using System.Text;

namespace CnnClassify.Native;

/// <summary>
/// Captures what native code writes to the process's standard error (file descriptor 2) while
/// an action runs, so a known start-up message can be routed to a logger. Unix only.
/// </summary>
internal static partial class NativeStderr
{
    private const int StandardError = 2;
    private static readonly Lock Gate = new();

    /// <summary>Whether capturing works here (Linux and macOS).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    /// <summary>Runs <paramref name="action"/> with descriptor 2 pointed at a temporary file, and returns what was written.</summary>
    public static string Capture(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (!IsSupported)
        {
            action();
            return string.Empty;
        }

        lock (Gate)
        {
            var path = Path.Combine(Path.GetTempPath(), $"cnnclassify-stderr-{Environment.ProcessId}-{Guid.NewGuid():N}");
            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite, 4096, FileOptions.DeleteOnClose);
            Console.Error.Flush();
            var saved = Dup(StandardError);
            if (saved < 0)
            {
                action();
                return string.Empty;
            }

            try
            {
                if (Dup2((int)file.SafeFileHandle.DangerousGetHandle(), StandardError) < 0)
                {
                    action();
                    return string.Empty;
                }

                action();
            }
            finally
            {
                // Restoring cannot fail for a descriptor dup gave back; were it to, stderr would stay in the temp file.
                _ = Dup2(saved, StandardError);
                _ = Close(saved);
            }

            file.Position = 0;
            using var reader = new StreamReader(file, Encoding.UTF8, leaveOpen: true);
            return reader.ReadToEnd();
        }
    }

    /// <summary>
    /// Writes <paramref name="text"/> to descriptor 2 as it is now (.NET's <see cref="Console.Error"/>
    /// holds a copy of the descriptor taken at start-up, so it would miss an enclosing capture).
    /// </summary>
    public static void Write(string text)
    {
        if (text.Length == 0)
        {
            return;
        }

        if (!IsSupported)
        {
            Console.Error.Write(text);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        for (var offset = 0; offset < bytes.Length;)
        {
            var written = (int)WriteNative(StandardError, ref bytes[offset], bytes.Length - offset);
            if (written <= 0)
            {
                return;
            }

            offset += written;
        }
    }

    [LibraryImport("libc", EntryPoint = "dup")]
    private static partial int Dup(int descriptor);

    [LibraryImport("libc", EntryPoint = "dup2")]
    private static partial int Dup2(int descriptor, int target);

    [LibraryImport("libc", EntryPoint = "write")]
    private static partial nint WriteNative(int descriptor, ref byte buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
