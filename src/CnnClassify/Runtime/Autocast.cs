using CnnClassify.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Runtime;

/// <summary>
/// PyTorch's autocast, which TorchSharp does not expose, reached through the functions that
/// LibTorch exports (<c>at::autocast::set_autocast_enabled</c> and its siblings). Inside a scope,
/// every operation follows PyTorch's own casting policy: convolutions and matrix products run in
/// the low-precision type, reductions and losses in float32. The state is per thread.
/// </summary>
public sealed class Autocast : IDisposable
{
    private readonly sbyte _device;
    private readonly bool _wasEnabled;
    private readonly sbyte _previousType;
    private bool _disposed;

    private Autocast(sbyte device, ScalarType dtype)
    {
        var api = Api.Value ?? throw new NotSupportedException(
            $"Autocast is not available: {NativeApi.Failure}. Mixed precision needs LibTorch's at::autocast functions (found on Linux x64 builds of libtorch 2.x).");
        _device = device;
        _wasEnabled = api.IsEnabled(device);
        _previousType = api.GetDtype(device);
        api.SetDtype(device, (sbyte)dtype);
        api.SetEnabled(device, true);
        api.IncrementNesting();
    }

    /// <summary>Whether this process can use autocast.</summary>
    public static bool IsSupported => Api.Value is not null;

    /// <summary>Turns autocast on for <paramref name="device"/>'s type on this thread until disposed.</summary>
    /// <param name="device">The device the forward pass runs on (CPU or CUDA).</param>
    /// <param name="dtype">The low-precision type: <c>BFloat16</c> or <c>Float16</c>.</param>
    /// <exception cref="NotSupportedException">LibTorch's autocast functions cannot be found.</exception>
    public static Autocast Enable(Device device, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (dtype is not (ScalarType.BFloat16 or ScalarType.Float16))
        {
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Autocast lowers to BFloat16 or Float16.");
        }

        return new Autocast(device.type == DeviceType.CUDA ? (sbyte)1 : (sbyte)0, dtype);
    }

    /// <summary>Whether autocast is on for the CPU on this thread.</summary>
    public static bool IsEnabledOnCpu => Api.Value?.IsEnabled(0) ?? false;

    /// <summary>Restores the previous autocast state of this thread.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        var api = Api.Value!;
        if (api.DecrementNesting() == 0)
        {
            api.ClearCache();
        }

        api.SetEnabled(_device, _wasEnabled);
        api.SetDtype(_device, _previousType);
    }

    private static readonly Lazy<NativeApi?> Api = new(NativeApi.TryLoad);

    private sealed class NativeApi
    {
        public static string Failure { get; private set; } = string.Empty;

        public required Action<sbyte, bool> SetEnabled { get; init; }

        public required Func<sbyte, bool> IsEnabled { get; init; }

        public required Action<sbyte, sbyte> SetDtype { get; init; }

        public required Func<sbyte, sbyte> GetDtype { get; init; }

        public required Func<int> IncrementNesting { get; init; }

        public required Func<int> DecrementNesting { get; init; }

        public required Action ClearCache { get; init; }

        public static unsafe NativeApi? TryLoad()
        {
            if (LibTorchExports.LoadFailure.Length > 0)
            {
                Failure = LibTorchExports.LoadFailure;
                return null;
            }

            static IntPtr Find(string name)
            {
                var address = LibTorchExports.Find(name);
                return address != IntPtr.Zero ? address : throw new EntryPointNotFoundException(name);
            }

            try
            {
                var setEnabled = (delegate* unmanaged<sbyte, byte, void>)Find("_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb");
                var isEnabled = (delegate* unmanaged<sbyte, byte>)Find("_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE");
                var setDtype = (delegate* unmanaged<sbyte, sbyte, void>)Find("_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE");
                var getDtype = (delegate* unmanaged<sbyte, sbyte>)Find("_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE");
                var increment = (delegate* unmanaged<int>)Find("_ZN2at8autocast17increment_nestingEv");
                var decrement = (delegate* unmanaged<int>)Find("_ZN2at8autocast17decrement_nestingEv");
                var clear = (delegate* unmanaged<void>)Find("_ZN2at8autocast11clear_cacheEv");
                return new NativeApi
                {
                    SetEnabled = (device, enabled) => setEnabled(device, enabled ? (byte)1 : (byte)0),
                    IsEnabled = device => isEnabled(device) != 0,
                    SetDtype = (device, dtype) => setDtype(device, dtype),
                    GetDtype = device => getDtype(device),
                    IncrementNesting = () => increment(),
                    DecrementNesting = () => decrement(),
                    ClearCache = () => clear(),
                };
            }
            catch (EntryPointNotFoundException ex)
            {
                Failure = $"libtorch_cpu does not export {ex.Message}";
                return null;
            }
        }
    }
}
