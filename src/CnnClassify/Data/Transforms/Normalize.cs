using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// Standardises each channel: <c>(x - mean) / std</c>. Apply after <see cref="ToTensor"/>.
/// Presets hold the usual statistics of common datasets.
/// </summary>
public sealed class Normalize : IBatchTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="mean">Per-channel means; one value applies to every channel.</param>
    /// <param name="std">Per-channel standard deviations, each above 0; as many as <paramref name="mean"/>.</param>
    public Normalize(IReadOnlyList<double> mean, IReadOnlyList<double> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count == 0 || mean.Count != std.Count || std.Any(s => !(s > 0)))
        {
            throw new ArgumentException($"Give as many means as standard deviations (at least one), each std > 0; got mean [{string.Join(", ", mean)}], std [{string.Join(", ", std)}].", nameof(std));
        }

        Mean = [.. mean];
        Std = [.. std];
    }

    /// <summary>MNIST: mean 0.1307, std 0.3081.</summary>
    public static Normalize Mnist => new([0.1307], [0.3081]);

    /// <summary>Fashion-MNIST: mean 0.2860, std 0.3530.</summary>
    public static Normalize FashionMnist => new([0.2860], [0.3530]);

    /// <summary>CIFAR-10: per-channel means (0.4914, 0.4822, 0.4465), stds (0.2470, 0.2435, 0.2616).</summary>
    public static Normalize Cifar10 => new([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]);

    /// <summary>ImageNet: means (0.485, 0.456, 0.406), stds (0.229, 0.224, 0.225), as torchvision's pretrained models expect.</summary>
    public static Normalize ImageNet => new([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

    /// <summary>Per-channel means.</summary>
    public IReadOnlyList<double> Mean { get; }

    /// <summary>Per-channel standard deviations.</summary>
    public IReadOnlyList<double> Std { get; }

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireFloat(image, nameof(Normalize));
        if (Mean.Count != 1 && Mean.Count != image.shape[0])
        {
            throw new ArgumentException($"Normalize has {Mean.Count} channel statistics but the image has {image.shape[0]} channels.", nameof(image));
        }

        using var scope = torch.NewDisposeScope();
        var mean = torch.tensor(Mean.Select(m => (float)m).ToArray(), [Mean.Count, 1, 1]).to(image.dtype);
        var std = torch.tensor(Std.Select(s => (float)s).ToArray(), [Std.Count, 1, 1]).to(image.dtype);
        return ((image - mean) / std).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor ApplyBatch(Tensor images, IReadOnlyList<Random> randoms)
    {
        ImageOps.RequireBatch(images, randoms, nameof(Normalize));
        if (!images.is_floating_point())
        {
            throw new ArgumentException("Normalize expects a floating-point batch; apply ToTensor() before it.", nameof(images));
        }

        if (Mean.Count != 1 && Mean.Count != images.shape[1])
        {
            throw new ArgumentException($"Normalize has {Mean.Count} channel statistics but the batch has {images.shape[1]} channels.", nameof(images));
        }

        using var scope = torch.NewDisposeScope();
        var mean = torch.tensor(Mean.Select(m => (float)m).ToArray(), [1, Mean.Count, 1, 1]).to(images.dtype);
        var std = torch.tensor(Std.Select(s => (float)s).ToArray(), [1, Std.Count, 1, 1]).to(images.dtype);
        return ((images - mean) / std).MoveToOuterDisposeScope();
    }
}
