using static TorchSharp.torch;

namespace CnnClassify.Data;

/// <summary>One image with its label.</summary>
/// <param name="Image">The image: [channels, height, width], <c>uint8</c> as read, <c>float32</c> after <c>ToTensor</c>.</param>
/// <param name="Label">The class index; -1 for a sample of a multi-label dataset, whose classes <see cref="IImageDataset.LabelsAt"/> gives.</param>
/// <param name="Source">Where the image came from, such as a file path or <c>train-images-idx3-ubyte[17]</c>.</param>
public sealed record ImageSample(Tensor Image, long Label, string Source) : IDisposable
{
    /// <summary>Disposes the image tensor.</summary>
    public void Dispose() => Image.Dispose();
}
