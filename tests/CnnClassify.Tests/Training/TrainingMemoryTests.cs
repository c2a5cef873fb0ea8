using System.Diagnostics;
using CnnClassify.Runtime;
using CnnClassify.Training;
using TorchSharp;

namespace CnnClassify.Tests.Training;

/// <summary>Process-wide counts, so these run alone (see DataLoaderDisposalTests for the no-GC method).</summary>
[Collection(SerialTests.Name)]
public class TrainingMemoryTests
{
    [Fact]
    public void Many_steps_leave_the_live_tensor_count_and_the_rss_flat()
    {
        using var model = TrainingData.Conv();
        var trainer = Trainer.For(model).UsePrecision(Precision.Bf16).ClipGradientNorm(5).Build();
        var train = TrainingData.Loader(TrainingData.Separable(160));
        var validation = TrainingData.Loader(TrainingData.Separable(32, seed: 1));
        trainer.Fit(train, validation, epochs: 2); // optimizer state and caches exist from here on

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var rss = process.WorkingSet64;
        var tensors = torch.Tensor.TotalCount;
        Assert.True(GC.TryStartNoGCRegion(200_000_000));
        long leaked;
        try
        {
            trainer.Fit(train, validation, epochs: 22); // 200 more steps
            leaked = torch.Tensor.TotalCount - tensors;
        }
        finally
        {
            if (System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion)
            {
                GC.EndNoGCRegion();
            }
        }

        process.Refresh();
        Assert.Equal(0, leaked);
        Assert.True(process.WorkingSet64 - rss < 64L * 1024 * 1024, $"RSS grew by {(process.WorkingSet64 - rss) / 1024 / 1024} MB");
    }
}
