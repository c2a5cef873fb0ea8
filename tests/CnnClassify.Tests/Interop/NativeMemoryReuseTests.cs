using System.Runtime.InteropServices;
using CnnClassify.Building;
using CnnClassify.Interop;
using CnnClassify.Training;

namespace CnnClassify.Tests.Interop;

public partial class NativeMemoryReuseTests
{
    [SkippableFact]
    public void Building_a_trainer_keeps_freed_native_memory_for_reuse_on_linux()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "glibc's mallopt exists on Linux only.");
        using var model = CnnBuilder.Input(1, 4, 4).Flatten().Dense(2).Build();

        Trainer.For(model).UseOptimizer(OptimizerSpec.Sgd(0.1)).Build();

        Assert.True(NativeMemoryReuse.IsApplied);
        // A 24 MB block freed and allocated again comes back from the heap: its pages fault in
        // once (6,144 pages), not on every round as fresh mappings would (20 x 6,144).
        const int Size = 24 * 1024 * 1024;
        var before = MinorFaults();
        for (var i = 0; i < 20; i++)
        {
            unsafe
            {
                var block = NativeMemory.Alloc(Size);
                new Span<byte>(block, Size).Fill((byte)i);
                NativeMemory.Free(block);
            }
        }

        Assert.InRange(MinorFaults() - before, 0, 3 * Size / 4096);
    }

    // RUSAGE_THREAD: only this thread's faults, not those of tests running beside it.
    private const int ThisThread = 1;

    private static long MinorFaults()
    {
        var usage = new long[18];
        Assert.Equal(0, GetResourceUsage(ThisThread, usage));
        return usage[8];  // struct rusage: two timevals (4 longs), then maxrss, ixrss, idrss, isrss, minflt
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetResourceUsage(int who, [Out] long[] usage);
}
