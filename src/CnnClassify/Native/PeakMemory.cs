using System.Diagnostics;
using System.Globalization;

namespace CnnClassify.Native;

/// <summary>
/// The process's resident memory and its peak. On Linux the peak can be reset (writing 5 to
/// <c>/proc/self/clear_refs</c>), so the peak of one stretch of work can be read; elsewhere the
/// peak is the process's whole life's.
/// </summary>
internal static class PeakMemory
{
    /// <summary>Resident memory now, in bytes.</summary>
    public static long Resident()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    /// <summary>Makes the peak start again from the resident memory now, where the system allows; whether it did.</summary>
    public static bool Reset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            return false;
        }
    }

    /// <summary>The peak resident memory since the last <see cref="Reset"/> (or since the start), in bytes.</summary>
    public static long Peak()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal)
                    && long.TryParse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var kilobytes))
                {
                    return kilobytes * 1024;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}
