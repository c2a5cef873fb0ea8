using TorchSharp;

namespace CnnClassify.Tests;

/// <summary>
/// Tests that depend on process-wide state run in this collection, alone, after the parallel
/// ones: the default device ("meta" builds full-size models without memory), live-tensor counts,
/// torch's global random generator (exact-resume and same-seed tests), and the thread count.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTests
{
    public const string Name = "process-wide state";

    /// <summary>Runs <paramref name="action"/> with "meta" as the default device.</summary>
    public static void OnMetaDevice(Action action)
    {
        var previous = torch.get_default_device();
        torch.set_default_device(torch.META);
        try
        {
            action();
        }
        finally
        {
            torch.set_default_device(previous);
        }
    }
}
