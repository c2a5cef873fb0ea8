using static TorchSharp.torch;

namespace CnnClassify.Data;

/// <summary>A batch of samples. The consumer owns it and must dispose it.</summary>
/// <param name="Images">The images, [N, C, H, W].</param>
/// <param name="Labels">The targets: class indices [N] of <c>int64</c>, or for a multi-label dataset multi-hot [N, classes] of <c>float32</c>.</param>
/// <param name="Indices">The samples' indices in the dataset.</param>
public sealed record Batch(Tensor Images, Tensor Labels, IReadOnlyList<int> Indices) : IDisposable
{
    /// <summary>The number of samples.</summary>
    public int Count => Indices.Count;

    /// <summary>Disposes the two tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
