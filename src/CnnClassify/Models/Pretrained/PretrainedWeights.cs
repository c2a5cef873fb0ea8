using System.Text.RegularExpressions;
using CnnClassify.Data.Transforms;
using CnnClassify.Downloads;

namespace CnnClassify.Models;

/// <summary>
/// One set of published weights for a zoo model, as torchvision lists it: where the file is, how
/// images must be prepared for it, its classes and its published accuracy. Get one from
/// <see cref="WeightCatalog"/>; <c>ModelZoo.Create(name, weights: "DEFAULT")</c> builds a model from it.
/// Their terms: <see cref="WeightCatalog.LicenseNote"/>.
/// </summary>
public sealed partial record PretrainedWeights
{
    /// <summary>The zoo model the weights belong to, such as <c>resnet50</c>.</summary>
    public required string Model { get; init; }

    /// <summary>The weights' name, such as <c>IMAGENET1K_V2</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Where the file is published.</summary>
    public required Uri Url { get; init; }

    /// <summary>The file name, also its name in the torch hub cache, such as <c>resnet50-11ad3fa6.pth</c>.</summary>
    public string FileName => Url.Segments[^1];

    /// <summary>Where the file lives in the weight cache (<see cref="WeightCache.Directory"/>).</summary>
    public string CachePath => WeightCache.PathFor(Url);

    /// <summary>Whether the file is in the weight cache.</summary>
    public bool IsCached => File.Exists(CachePath);

    /// <summary>The cached file, downloaded first if it is missing, refused when larger than the parameters need (<see cref="DownloadLimits.MaxBytesFor"/>).</summary>
    /// <param name="progress">Receives download progress; nothing is reported on a cache hit.</param>
    /// <param name="cancellationToken">Stops the download; the partial file is removed.</param>
    /// <returns>The file's path.</returns>
    /// <exception cref="WeightDownloadException">The download failed, was cut short or did not match its hash; the message names the URL, the reason and the path to fill by hand.</exception>
    public string Fetch(IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        WeightCache.Fetch(Url, Sha256Prefix, progress, WeightCache.Limits.MaxBytesFor(Parameters), cancellationToken);

    /// <summary>The leading hex digits of the file's SHA-256, from its name, checked after every download.</summary>
    public string Sha256Prefix => HashInName().Match(FileName) is { Success: true } match ? match.Groups[1].Value : "";

    /// <summary>The class names in label order (ImageNet's 1,000 categories).</summary>
    public required IReadOnlyList<string> Categories { get; init; }

    /// <summary>Classes of the published head.</summary>
    public int NumClasses => Categories.Count;

    /// <summary>Height and width of the centre crop the model sees.</summary>
    public required int CropSize { get; init; }

    /// <summary>The evaluation preprocessing: shorter side, interpolation, mean and std.</summary>
    public required Preprocessing Preprocessing { get; init; }

    /// <summary>Published top-1 accuracy on ImageNet-1k validation, in percent.</summary>
    public double Accuracy1 { get; init; }

    /// <summary>Published top-5 accuracy on ImageNet-1k validation, in percent.</summary>
    public double Accuracy5 { get; init; }

    /// <summary>Parameters of the model with these weights.</summary>
    public long Parameters { get; init; }

    /// <summary>
    /// torchvision's published compute cost at <see cref="CropSize"/>, in billions of operations
    /// (its <c>_ops</c>, GFLOPS counting a multiply-add once, so close to the MACs that
    /// <c>Summary()</c> counts).
    /// </summary>
    public double Gflops { get; init; }

    /// <summary>A link to the training recipe.</summary>
    public string Recipe { get; init; } = "";

    /// <summary>The model description these weights imply: the zoo name, 3x<see cref="CropSize"/>² input, ImageNet's classes, the preprocessing.</summary>
    public ModelConfiguration Configuration => new()
    {
        Architecture = Model,
        NumClasses = NumClasses,
        InChannels = 3,
        InputHeight = CropSize,
        InputWidth = CropSize,
        ClassNames = Categories,
        Preprocessing = Preprocessing,
        TransformInput = Model is "googlenet" or "inception_v3",  // torchvision's published GoogLeNet and Inception v3 expect [-1, 1] input
    };

    /// <summary>The evaluation transform for these weights, from a decoded uint8 RGB image [3, H, W] to the model's input, as torchvision's <c>weights.transforms()</c>.</summary>
    public IImageTransform Transforms() => Preprocessing.Transform(CropSize, CropSize);

    /// <inheritdoc />
    public override string ToString() => $"{Model} {Name}";

    [GeneratedRegex(@"-([a-f0-9]*)\.")]
    private static partial Regex HashInName();
}
