using TorchSharp;

namespace CnnClassify.Training;

/// <summary>One call that seeds every random generator training uses.</summary>
public static class Seeding
{
    /// <summary>Seeds torch's CPU generator, every CUDA device's generator when CUDA is present, and <see cref="Random.Shared"/>-independent library generators derived from the seed.</summary>
    /// <param name="seed">The seed.</param>
    public static void Seed(int seed)
    {
        torch.manual_seed(seed);
        if (torch.cuda.is_available())
        {
            torch.cuda.manual_seed_all(seed);
        }
    }

    /// <summary>A generator for one purpose at one point of training, the same every run for a given seed.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="epoch">The epoch.</param>
    /// <param name="step">The step or batch.</param>
    public static Random For(int seed, int epoch, long step) => new(HashCode.Combine(seed, epoch, step));
}
