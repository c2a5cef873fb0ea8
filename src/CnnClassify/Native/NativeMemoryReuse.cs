using System.Runtime.InteropServices;

namespace CnnClassify.Native;

/// <summary>
/// Keeps the memory that LibTorch frees inside the process, so that the next training step's
/// tensors reuse it instead of faulting in fresh zeroed pages from the kernel. LibTorch allocates
/// every activation and gradient with the C library's malloc; glibc gives large freed blocks back
/// to the kernel (above its trim threshold) and serves blocks above its mmap threshold with
/// fresh mappings, so each step touches hundreds of megabytes of new pages. Setting both
/// thresholds to their largest value (2 GB; glibc versions that cap the mmap threshold take
/// 32 MB) keeps them.
/// Process-wide and one-way; a no-op where the C library has no <c>mallopt</c> (musl, Windows, macOS).
/// </summary>
internal static partial class NativeMemoryReuse
{
    private const int TrimThreshold = -1;   // M_TRIM_THRESHOLD
    private const int MmapThreshold = -3;   // M_MMAP_THRESHOLD
    private const int CappedMmapThreshold = 32 * 1024 * 1024;  // the cap of glibc versions that have one

    private static int _applied;

    /// <summary>Whether the settings were applied in this process.</summary>
    public static bool IsApplied => Volatile.Read(ref _applied) == 2;

    /// <summary>Applies the settings once per process; later calls do nothing.</summary>
    public static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.CompareExchange(ref _applied, 1, 0) != 0)
        {
            return;
        }

        try
        {
            if (MallOpt(TrimThreshold, int.MaxValue) == 1 && (MallOpt(MmapThreshold, int.MaxValue) == 1 || MallOpt(MmapThreshold, CappedMmapThreshold) == 1))
            {
                Volatile.Write(ref _applied, 2);
            }
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc: nothing to tune.
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int parameter, int value);
}
