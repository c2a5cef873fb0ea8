using TorchSharp;

namespace CnnClassify.Tests.Models;

/// <summary>
/// Tests that build full-size models on the "meta" device, which allocates no memory. The default
/// device is process-wide, so these tests run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetaDeviceTests
{
    public const string Name = "meta device";

    /// <summary>Runs <paramref name="action"/> with "meta" as the default device.</summary>
    public static void Run(Action action)
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
