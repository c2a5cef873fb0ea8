using CnnClassify.Models;
using CnnClassify.Native;
using CnnClassify.Training;

namespace CnnClassify.Tests.Interop;

public class NativeMemoryReuseTests
{
    [SkippableFact]
    public void Building_a_trainer_keeps_freed_native_memory_for_reuse_on_linux()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "glibc's mallopt exists on Linux only.");
        using var model = CnnBuilder.Input(1, 4, 4).Flatten().Dense(2).Build();

        Trainer.For(model).UseOptimizer(OptimizerSpec.Sgd(0.1)).Build();

        // mallopt accepted both thresholds (it returns 0 for a value glibc refuses).
        Assert.True(NativeMemoryReuse.IsApplied);
    }
}
