using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>Applies transforms in order, disposing the intermediate images.</summary>
public sealed class Compose : IImageTransform
{
    /// <summary>Creates the pipeline.</summary>
    /// <param name="transforms">The transforms, first to last.</param>
    public Compose(params IImageTransform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        Transforms = [.. transforms];
    }

    /// <summary>The transforms, first to last.</summary>
    public IReadOnlyList<IImageTransform> Transforms { get; }

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var scope = torch.NewDisposeScope();
        var current = image;
        foreach (var transform in Transforms)
        {
            current = transform.Apply(current, random);
        }

        return (ReferenceEquals(current, image) ? image.clone() : current).MoveToOuterDisposeScope();
    }
}
