using CnnClassify.Data.Transforms;

namespace CnnClassify.Models;

/// <summary>
/// How images are prepared for a model at evaluation and prediction time, after decoding:
/// an optional resize of the shorter side followed by a centre crop to the model's input size
/// (or a plain resize to it), scaling to [0, 1], and per-channel normalisation.
/// </summary>
/// <remarks>
/// The crop size is the model's input size (<see cref="ModelConfiguration.InputHeight"/> by
/// <see cref="ModelConfiguration.InputWidth"/>), so it is written once. ImageNet models use
/// torchvision's classic recipe: shorter side to 256, centre crop 224.
/// </remarks>
public sealed record Preprocessing
{
    /// <summary>ImageNet's per-channel means, for RGB input.</summary>
    public static readonly IReadOnlyList<double> ImageNetMean = [0.485, 0.456, 0.406];

    /// <summary>ImageNet's per-channel standard deviations, for RGB input.</summary>
    public static readonly IReadOnlyList<double> ImageNetStd = [0.229, 0.224, 0.225];

    /// <summary>
    /// Length the shorter side is resized to before the centre crop, keeping the aspect ratio;
    /// <see langword="null"/> resizes straight to the input size.
    /// </summary>
    public int? ResizeSize { get; init; }

    /// <summary>The resampling method of the resize.</summary>
    public Interpolation Interpolation { get; init; } = Interpolation.Bilinear;

    /// <summary>Per-channel means subtracted after scaling to [0, 1]; empty for no normalisation.</summary>
    public IReadOnlyList<double> Mean { get; init; } = [];

    /// <summary>Per-channel standard deviations divided by; as many as <see cref="Mean"/>.</summary>
    public IReadOnlyList<double> Std { get; init; } = [];

    /// <summary>
    /// Whether photos are turned upright by their EXIF orientation before anything else, as PIL's
    /// <c>ImageOps.exif_transpose</c>; off by default, as in torchvision. The predictor decodes
    /// with it, so a model trained on upright photos sees them upright.
    /// </summary>
    public bool ApplyExifOrientation { get; init; }

    /// <summary>No resize beyond the input size, no normalisation.</summary>
    public static Preprocessing None => new();

    /// <summary>
    /// ImageNet's evaluation recipe for <paramref name="inChannels"/> channels: shorter side to 256,
    /// bilinear, ImageNet normalisation (for one channel, the mean of the three means and stds).
    /// </summary>
    /// <param name="inChannels">Input channels: 3, or 1 for grayscale.</param>
    public static Preprocessing ImageNet(int inChannels = 3) => new()
    {
        ResizeSize = 256,
        Mean = inChannels == 3 ? ImageNetMean : Enumerable.Repeat(ImageNetMean.Average(), inChannels).ToList(),
        Std = inChannels == 3 ? ImageNetStd : Enumerable.Repeat(ImageNetStd.Average(), inChannels).ToList(),
    };

    /// <summary>The transform from a decoded uint8 image [C, H, W] to the model's float input.</summary>
    /// <param name="height">The model's input height.</param>
    /// <param name="width">The model's input width.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public IImageTransform Transform(int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        var steps = new List<IImageTransform>();
        if (ResizeSize is { } side)
        {
            steps.Add(new Resize(side, Interpolation));
            steps.Add(new CenterCrop(height, width));
        }
        else
        {
            steps.Add(new Resize(height, width, Interpolation));
        }

        steps.Add(new ToTensor());
        if (Mean.Count > 0)
        {
            steps.Add(new Normalize(Mean, Std));
        }

        return new Compose([.. steps]);
    }
}
