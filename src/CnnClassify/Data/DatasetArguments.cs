namespace CnnClassify.Data;

/// <summary>Index checks shared by the datasets.</summary>
internal static class DatasetArguments
{
    public static void Index(int index, int count)
    {
        if ((uint)index >= (uint)count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The dataset has {count} samples; the index must be in [0, {count}).");
        }
    }
}
