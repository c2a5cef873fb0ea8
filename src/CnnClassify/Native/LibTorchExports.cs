using System.Runtime.InteropServices;
using TorchSharp;

namespace CnnClassify.Native;

/// <summary>
/// Functions that LibTorch's CPU library exports but TorchSharp does not wrap, looked up by their
/// C++ (Itanium ABI) names. The library is the one TorchSharp itself loaded.
/// </summary>
internal static class LibTorchExports
{
    private static readonly Lazy<(IntPtr Library, string Failure)> Loaded = new(Load);

    /// <summary>Why the library could not be opened; empty when it was.</summary>
    public static string LoadFailure => Loaded.Value.Failure;

    /// <summary>Looks up <paramref name="mangledName"/>; zero when the library or the symbol is missing.</summary>
    public static IntPtr Find(string mangledName) =>
        Loaded.Value.Library != IntPtr.Zero && NativeLibrary.TryGetExport(Loaded.Value.Library, mangledName, out var address)
            ? address
            : IntPtr.Zero;

    private static (IntPtr, string) Load()
    {
        // Make sure TorchSharp has loaded its native libraries first.
        torch.InitializeDeviceType(DeviceType.CPU);
        foreach (var name in new[] { "libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll", "libtorch_cpu" })
        {
            if (NativeLibrary.TryLoad(name, typeof(torch).Assembly, DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory, out var library))
            {
                return (library, string.Empty);
            }
        }

        return (IntPtr.Zero, "libtorch_cpu could not be loaded");
    }
}
