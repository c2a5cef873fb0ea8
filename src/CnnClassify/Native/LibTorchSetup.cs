using Microsoft.Extensions.Logging;

namespace CnnClassify.Native;

/// <summary>
/// Settings the library applies to LibTorch once per process before running a model: NNPACK is
/// switched off, through LibTorch's own <c>setUserEnabledNNPACK</c>, on hardware it cannot
/// initialise on. LibTorch would otherwise try it for convolutions and print "Could not
/// initialize NNPACK! Reason: Unsupported hardware." each time; that line is logged at debug
/// level instead, and anything else native code prints meanwhile still reaches standard error.
/// </summary>
internal static unsafe partial class LibTorchSetup
{
    private static readonly Lazy<NnpackState> State = new(Configure);

    /// <summary>What was found and done about NNPACK.</summary>
    public enum NnpackState
    {
        /// <summary>LibTorch initialised NNPACK; it stays on.</summary>
        Available,

        /// <summary>NNPACK cannot run on this hardware; it was switched off.</summary>
        SwitchedOff,

        /// <summary>The LibTorch functions were not found; nothing was changed.</summary>
        Unknown,
    }

    /// <summary>Applies the settings, once per process; later calls return at once.</summary>
    public static NnpackState Ensure() => State.Value;

    /// <summary>LibTorch's current NNPACK switch, or <see langword="null"/> when it cannot be read.</summary>
    public static bool? NnpackEnabled
    {
        get
        {
            var context = LibTorchExports.Find("_ZN2at13globalContextEv");
            var get = LibTorchExports.Find("_ZNK2at7Context17userEnabledNNPACKEv");
            return context == IntPtr.Zero || get == IntPtr.Zero
                ? null
                : ((delegate* unmanaged<IntPtr, byte>)get)(((delegate* unmanaged<IntPtr>)context)()) != 0;
        }
    }

    /// <summary>Removes LibTorch's NNPACK start-up warnings from captured standard-error text.</summary>
    internal static (string Others, IReadOnlyList<string> Removed) SplitNnpackWarnings(string captured)
    {
        var removed = new List<string>();
        var others = new System.Text.StringBuilder();
        foreach (var line in captured.Split('\n'))
        {
            if (line.Contains("Could not initialize NNPACK", StringComparison.Ordinal))
            {
                removed.Add(line.Trim());
            }
            else if (line.Length > 0)
            {
                others.Append(line).Append('\n');
            }
        }

        return (others.ToString(), removed);
    }

    /// <summary>Sets LibTorch's NNPACK switch; <see langword="false"/> when its functions are missing.</summary>
    internal static bool SetNnpackEnabled(bool enabled)
    {
        var context = LibTorchExports.Find("_ZN2at13globalContextEv");
        var set = LibTorchExports.Find("_ZN2at7Context20setUserEnabledNNPACKEb");
        if (context == IntPtr.Zero || set == IntPtr.Zero)
        {
            return false;
        }

        ((delegate* unmanaged<IntPtr, byte, void>)set)(((delegate* unmanaged<IntPtr>)context)(), enabled ? (byte)1 : (byte)0);
        return true;
    }

    /// <summary>
    /// Runs <paramref name="probe"/> (LibTorch's NNPACK initialisation) with standard error
    /// captured, logs its NNPACK warning, passes anything else on, and switches NNPACK off when
    /// the probe says it is unavailable.
    /// </summary>
    internal static NnpackState Configure(Func<bool> probe, ILogger logger)
    {
        var ok = false;
        var captured = NativeStderr.Capture(() => ok = probe());
        var (others, removed) = SplitNnpackWarnings(captured);
        NativeStderr.Write(others);
        if (ok)
        {
            return NnpackState.Available;
        }

        if (!SetNnpackEnabled(false))
        {
            LogUnknown(logger, LibTorchExports.LoadFailure);
            return NnpackState.Unknown;
        }

        LogSwitchedOff(logger, removed.Count > 0 ? string.Join("; ", removed) : "NNPACK is not available");
        return NnpackState.SwitchedOff;
    }

    private static NnpackState Configure()
    {
        var logger = CnnClassifyLogging.For("CnnClassify.LibTorch");
        var available = LibTorchExports.Find("_ZN2at6native17_nnpack_availableEv");
        if (available == IntPtr.Zero)
        {
            LogUnknown(logger, LibTorchExports.LoadFailure.Length > 0 ? LibTorchExports.LoadFailure : "at::native::_nnpack_available is not exported");
            return NnpackState.Unknown;
        }

        return Configure(() => ((delegate* unmanaged<byte>)available)() != 0, logger);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "LibTorch's NNPACK switched off: {Reason}")]
    private static partial void LogSwitchedOff(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "LibTorch's NNPACK setting left as it is: its functions were not found ({Failure})")]
    private static partial void LogUnknown(ILogger logger, string failure);
}
