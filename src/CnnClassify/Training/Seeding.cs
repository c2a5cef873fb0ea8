using TorchSharp;

namespace CnnClassify.Training;

/// <summary>One call that seeds every random generator training uses.</summary>
public static class Seeding
{
    /// <summary>Seeds torch's CPU generator and, when CUDA is present, every CUDA device's generator.</summary>
    /// <param name="seed">The seed.</param>
    public static void Seed(int seed)
    {
        torch.manual_seed(seed);
        if (torch.cuda.is_available())
        {
            torch.cuda.manual_seed_all(seed);
        }
    }

    /// <summary>A generator for one purpose at one point of training, the same in every process for a given seed.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="epoch">The epoch.</param>
    /// <param name="step">The step or batch.</param>
    public static Random For(int seed, int epoch, long step) => new(SeedMix.Mix(seed, epoch, step));
}
