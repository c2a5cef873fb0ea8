namespace CnnClassify;

/// <summary>Derives independent, reproducible seeds from (seed, epoch, index), the same in every process.</summary>
internal static class SeedMix
{
    /// <summary>SplitMix64 over the three values, folded to a non-negative <see cref="int"/>.</summary>
    public static int Mix(int seed, int epoch, long index)
    {
        var z = unchecked(((ulong)(uint)seed << 32) ^ ((ulong)(uint)epoch * 0x9E3779B97F4A7C15UL) ^ (ulong)(uint)index);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }
}
