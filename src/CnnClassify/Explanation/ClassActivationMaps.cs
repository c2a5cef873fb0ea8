using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Explanation;

/// <summary>
/// Class activation maps for a batch: one map per image at the target layer's resolution, with
/// the class each explains and the model's probability for it. Owns its tensors; dispose it.
/// </summary>
public sealed class ClassActivationMaps : IDisposable
{
    internal ClassActivationMaps(Tensor map, IReadOnlyList<int> classes, IReadOnlyList<int> predicted, IReadOnlyList<float> probabilities, string layer, CamMethod method, (int Height, int Width) inputSize)
    {
        Map = map;
        Classes = classes;
        Predicted = predicted;
        Probabilities = probabilities;
        Layer = layer;
        Method = method;
        InputSize = inputSize;
    }

    /// <summary>The maps, float32 [N, h, w] at the target layer's resolution, after the ReLU and before any scaling.</summary>
    public Tensor Map { get; }

    /// <summary>The class each map explains.</summary>
    public IReadOnlyList<int> Classes { get; }

    /// <summary>The class the model predicts for each image.</summary>
    public IReadOnlyList<int> Predicted { get; }

    /// <summary>The model's softmax probability of <see cref="Classes"/> for each image.</summary>
    public IReadOnlyList<float> Probabilities { get; }

    /// <summary>The state-dict path of the layer whose activation was weighed.</summary>
    public string Layer { get; }

    /// <summary>The method that made the maps.</summary>
    public CamMethod Method { get; }

    /// <summary>The height and width of the input images.</summary>
    public (int Height, int Width) InputSize { get; }

    /// <summary>How many images.</summary>
    public int Count => Classes.Count;

    /// <summary>
    /// The maps upsampled bilinearly (as <c>F.interpolate(map[:, None], size, mode="bilinear",
    /// align_corners=False)</c>) to <paramref name="height"/> x <paramref name="width"/>, or the
    /// input size by default: float32 [N, H, W], unscaled. The caller disposes it.
    /// </summary>
    /// <param name="height">Output height; 0 for the input's.</param>
    /// <param name="width">Output width; 0 for the input's.</param>
    public Tensor Upsampled(int height = 0, int width = 0)
    {
        var size = new long[] { height > 0 ? height : InputSize.Height, width > 0 ? width : InputSize.Width };
        using var scope = torch.NewDisposeScope();
        return nn.functional.interpolate(Map.unsqueeze(1), size, mode: InterpolationMode.Bilinear, align_corners: false)
            .squeeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="maps"/> [N, H, W] scaled per image to [0, 1] (minus its minimum, over its
    /// range; an all-equal map becomes 0). The caller disposes the result.
    /// </summary>
    /// <param name="maps">Maps such as <see cref="Map"/> or <see cref="Upsampled"/>.</param>
    public static Tensor Scale(Tensor maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        using var scope = torch.NewDisposeScope();
        var flat = maps.flatten(1);
        var low = flat.amin([1], keepdim: true);
        using var minusOne = (-1).ToScalar();
        var range = flat.amax([1], keepdim: true).add(low, minusOne);
        var positive = range.gt(HeldScalars.Zero);
        using var one = 1.ToScalar();
        var scaled = flat.add(low, minusOne) / range.masked_fill(positive.logical_not(), one);
        using var zero = 0.ToScalar();
        return scaled.masked_fill(positive.logical_not(), zero).view_as(maps).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose() => Map.Dispose();
}
