using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// A transform of one image tensor [channels, height, width]. Random transforms draw only from
/// the <see cref="Random"/> they are given, so a seeded generator makes them reproducible.
/// </summary>
public interface IImageTransform
{
    /// <summary>Returns the transformed image as a new tensor; <paramref name="image"/> is not disposed or changed.</summary>
    /// <param name="image">[C, H, W], <c>uint8</c> (0 to 255) or floating point (0 to 1 after <see cref="ToTensor"/>).</param>
    /// <param name="random">The source of randomness for this sample.</param>
    Tensor Apply(Tensor image, Random random);
}
