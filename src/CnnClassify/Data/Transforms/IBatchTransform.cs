using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// A transform that can also act on a whole batch [N, C, H, W] in a few tensor operations. For
/// sample i it draws from <c>randoms[i]</c> exactly what <see cref="IImageTransform.Apply"/> draws,
/// so the batch and the sample paths give the same images for the same seeds.
/// </summary>
public interface IBatchTransform : IImageTransform
{
    /// <summary>Returns the transformed batch as a new tensor; <paramref name="images"/> is not disposed or changed.</summary>
    /// <param name="images">[N, C, H, W], <c>uint8</c> (0 to 255) or floating point (0 to 1 after <see cref="ToTensor"/>).</param>
    /// <param name="randoms">One source of randomness per sample, in batch order.</param>
    Tensor ApplyBatch(Tensor images, IReadOnlyList<Random> randoms);
}
