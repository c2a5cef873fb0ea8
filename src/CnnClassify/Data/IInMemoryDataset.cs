using static TorchSharp.torch;

namespace CnnClassify.Data;

/// <summary>
/// A dataset held in memory as one <c>uint8</c> tensor, such as <see cref="TensorDataset"/> (IDX
/// and CIFAR files). The <see cref="DataLoader"/> gathers its batches in one operation and, when
/// every transform is an <see cref="Transforms.IBatchTransform"/>, converts and augments the
/// whole batch at once instead of sample by sample.
/// </summary>
public interface IInMemoryDataset : IImageDataset
{
    /// <summary>The images of <paramref name="indices"/>, in that order, as one new <c>uint8</c> tensor [N, C, H, W].</summary>
    /// <param name="indices">Sample indices, each from 0 to <see cref="IImageDataset.Count"/> - 1.</param>
    Tensor ReadImages(IReadOnlyList<int> indices);
}
