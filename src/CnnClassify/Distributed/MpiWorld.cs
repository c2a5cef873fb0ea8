using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Distributed;

/// <summary>
/// The processes of an <c>mpirun</c> launch, through the system's Open MPI (4.1 or 5.0,
/// <c>libmpi.so.40</c>) called directly: initialised at <c>MPI_THREAD_SERIALIZED</c>, with
/// in-place sum all-reduce and broadcast of CPU tensors, a barrier and abort. Open MPI's handles
/// (<c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c>, ...) are the addresses of its exported
/// globals, so they are read from the library itself. One world per process.
/// </summary>
public sealed unsafe class MpiWorld : IDisposable
{
    private const int Success = 0;
    private const int ThreadSerialized = 2;
    private const int RtldNow = 2;
    private const int RtldGlobal = 0x100;
    private static readonly Lock Gate = new();
    private static MpiWorld? _current;

    private readonly IntPtr _world;
    private readonly IntPtr _sum;
    private readonly IntPtr _float;
    private readonly IntPtr _double;
    private readonly IntPtr _long;
    private readonly IntPtr _byte;
    private readonly delegate* unmanaged<IntPtr, IntPtr, int, IntPtr, IntPtr, IntPtr, int> _allreduce;
    private readonly delegate* unmanaged<IntPtr, int, IntPtr, int, IntPtr, int> _bcast;
    private readonly delegate* unmanaged<IntPtr, int> _barrier;
    private readonly delegate* unmanaged<IntPtr, int, int> _abort;
    private readonly delegate* unmanaged<int> _finalize;
    private bool _disposed;

    private MpiWorld(IntPtr library)
    {
        IntPtr Export(string name) =>
            NativeLibrary.TryGetExport(library, name, out var found) ? found : throw new MpiException($"libmpi.so.40 has no '{name}'; is it Open MPI 4.1 or 5.0?");

        Version = LibraryVersion(library);
        if (!Version.Contains("Open MPI", StringComparison.Ordinal))
        {
            throw new MpiException($"libmpi.so.40 is not Open MPI (it reports '{Version}'); CnnClassify reads Open MPI's handles, so install Open MPI 4.1 or 5.0 (openmpi-bin).");
        }

        _world = Export("ompi_mpi_comm_world");
        _sum = Export("ompi_mpi_op_sum");
        _float = Export("ompi_mpi_float");
        _double = Export("ompi_mpi_double");
        _long = Export("ompi_mpi_long_long_int");
        _byte = Export("ompi_mpi_byte");
        _allreduce = (delegate* unmanaged<IntPtr, IntPtr, int, IntPtr, IntPtr, IntPtr, int>)Export("MPI_Allreduce");
        _bcast = (delegate* unmanaged<IntPtr, int, IntPtr, int, IntPtr, int>)Export("MPI_Bcast");
        _barrier = (delegate* unmanaged<IntPtr, int>)Export("MPI_Barrier");
        _abort = (delegate* unmanaged<IntPtr, int, int>)Export("MPI_Abort");
        _finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        var init = (delegate* unmanaged<IntPtr, IntPtr, int, int*, int>)Export("MPI_Init_thread");
        var rank = (delegate* unmanaged<IntPtr, int*, int>)Export("MPI_Comm_rank");
        var size = (delegate* unmanaged<IntPtr, int*, int>)Export("MPI_Comm_size");
        int provided, value;
        Check(init(IntPtr.Zero, IntPtr.Zero, ThreadSerialized, &provided), "MPI_Init_thread");
        if (provided < ThreadSerialized)
        {
            throw new MpiException($"Open MPI offers thread level {provided}; CnnClassify needs MPI_THREAD_SERIALIZED ({ThreadSerialized}).");
        }

        Check(rank(_world, &value), "MPI_Comm_rank");
        Rank = value;
        Check(size(_world, &value), "MPI_Comm_size");
        Size = value;
    }

    /// <summary>This process's rank, from 0.</summary>
    public int Rank { get; }

    /// <summary>The number of processes.</summary>
    public int Size { get; }

    /// <summary>Whether this process is rank 0, the one that writes files.</summary>
    public bool IsMain => Rank == 0;

    /// <summary>The MPI library's own description, such as <c>Open MPI v5.0.7, ...</c>.</summary>
    public string Version { get; }

    /// <summary>Whether this process was started by Open MPI's <c>mpirun</c>.</summary>
    public static bool IsLaunched =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null || Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    /// <summary>Loads Open MPI and initialises it, once per process; later calls return the same world.</summary>
    /// <exception cref="MpiException">libmpi.so.40 cannot be loaded, is not Open MPI, or fails to initialise; the message says which.</exception>
    public static MpiWorld Initialize()
    {
        lock (Gate)
        {
            if (_current is { _disposed: false } current)
            {
                return current;
            }

            if (!OperatingSystem.IsLinux())
            {
                throw new MpiException("Multi-process training uses Open MPI on Linux; this host is not Linux.");
            }

            // Open MPI's plugins find its symbols only when the library is loaded globally.
            IntPtr library;
            fixed (byte* name = "libmpi.so.40\0"u8)
            {
                library = Dlopen(name, RtldNow | RtldGlobal);
            }

            if (library == IntPtr.Zero)
            {
                throw new MpiException($"Open MPI's libmpi.so.40 could not be loaded ({Marshal.PtrToStringUTF8(Dlerror()) ?? "not found"}); install Open MPI 4.1 or 5.0 (Debian and Ubuntu: openmpi-bin).");
            }

            _current = new MpiWorld(library);
            return _current;
        }
    }

    /// <summary>Replaces every process's <paramref name="tensor"/> by the element-wise sum over all processes, in place.</summary>
    /// <param name="tensor">A contiguous CPU tensor of float32, float64 or int64, the same shape on every process.</param>
    /// <exception cref="ArgumentException">The tensor is not on the CPU, not contiguous, or of another type.</exception>
    public void AllReduceSum(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.dtype == ScalarType.Byte)
        {
            throw new ArgumentException("MPI sums float32, float64 or int64 tensors; uint8 can only be broadcast.", nameof(tensor));
        }

        var (data, count, type) = Buffer(tensor);
        Check(_allreduce(new IntPtr(1), data, count, type, _sum, _world), "MPI_Allreduce");
    }

    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="tensor"/> into every other process's, in place.</summary>
    /// <param name="tensor">A contiguous CPU tensor of float32, float64, int64 or uint8, the same shape on every process.</param>
    /// <param name="root">The rank whose values are sent.</param>
    public void Broadcast(Tensor tensor, int root = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        var (data, count, type) = Buffer(tensor);
        Check(_bcast(data, count, type, root, _world), "MPI_Bcast");
    }

    /// <summary>Waits until every process has called it.</summary>
    public void Barrier() => Check(_barrier(_world), "MPI_Barrier");

    /// <summary>Ends every process of the job with <paramref name="exitCode"/>, as after an error on one rank.</summary>
    /// <param name="exitCode">The exit code mpirun reports.</param>
    public void Abort(int exitCode) => _abort(_world, exitCode);

    /// <summary>Finalises Open MPI; every process must call it.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (!_disposed)
            {
                _disposed = true;
                _finalize();
            }
        }
    }

    private (IntPtr Data, int Count, IntPtr Type) Buffer(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
        {
            throw new ArgumentException($"MPI exchanges contiguous CPU tensors; this one is on {tensor.device}, {(tensor.is_contiguous() ? "contiguous" : "not contiguous")}.", nameof(tensor));
        }

        var type = tensor.dtype switch
        {
            ScalarType.Float32 => _float,
            ScalarType.Float64 => _double,
            ScalarType.Int64 => _long,
            ScalarType.Byte => _byte,
            _ => throw new ArgumentException($"MPI exchanges float32, float64, int64 or uint8 tensors, not {tensor.dtype}.", nameof(tensor)),
        };
        return (TensorData(tensor.Handle), checked((int)tensor.numel()), type);
    }

    private static void Check(int code, string call)
    {
        if (code != Success)
        {
            throw new MpiException($"{call} failed with MPI error {code}.");
        }
    }

    private static string LibraryVersion(IntPtr library)
    {
        if (!NativeLibrary.TryGetExport(library, "MPI_Get_library_version", out var address))
        {
            return "an MPI without MPI_Get_library_version";
        }

        var text = new byte[8192];
        int length;
        fixed (byte* buffer = text)
        {
            ((delegate* unmanaged<byte*, int*, int>)address)(buffer, &length);
        }

        return Encoding.UTF8.GetString(text, 0, Math.Clamp(length, 0, text.Length)).Split('\n')[0].Trim('\0', ' ');
    }

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern IntPtr Dlopen(byte* file, int mode);

    [DllImport("libc", EntryPoint = "dlerror")]
    private static extern IntPtr Dlerror();

    [DllImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
    private static extern IntPtr TensorData(IntPtr tensor);
}
