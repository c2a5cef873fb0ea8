using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>Converts a <c>uint8</c> image (0 to 255) to <c>float32</c> (0 to 1), as torchvision's <c>ToTensor</c>.</summary>
public sealed class ToTensor : IBatchTransform
{
    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(ToTensor));
        return image.is_floating_point() ? image.to(ScalarType.Float32, copy: true) : image.to(ScalarType.Float32).div_(HeldScalars.PixelMax);
    }

    /// <inheritdoc />
    public Tensor ApplyBatch(Tensor images, IReadOnlyList<Random> randoms)
    {
        ImageOps.RequireBatch(images, randoms, nameof(ToTensor));
        return images.is_floating_point() ? images.to(ScalarType.Float32, copy: true) : images.to(ScalarType.Float32).div_(HeldScalars.PixelMax);
    }
}
