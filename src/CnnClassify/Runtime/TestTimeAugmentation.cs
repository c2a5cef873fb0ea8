using System.Globalization;
using CnnClassify.Data.Transforms;
using CnnClassify.Models;

namespace CnnClassify.Runtime;

/// <summary>
/// Test-time augmentation: each image is classified in several views whose probabilities (or
/// logits) are averaged, on the one evaluation path (<c>PredictionSet.Collect</c>,
/// <c>MultiLabelPredictionSet.Collect</c> and the trainer's <c>Evaluate</c>, through
/// <see cref="InferenceOptions.TestTimeAugmentation"/>). Mirrored views reuse their batch; views
/// with another transform read the data again, in the same order.
/// </summary>
public sealed record TestTimeAugmentation
{
    private const int MaxViews = 64;

    /// <summary>Combines the given views.</summary>
    /// <param name="name">What it is, for reports, such as <c>flip</c>.</param>
    /// <param name="views">1 to 64 views, with weights above 0.</param>
    /// <param name="averaging">Whether probabilities or logits are averaged.</param>
    public TestTimeAugmentation(string name, IReadOnlyList<TestTimeView> views, TestTimeAveraging averaging = TestTimeAveraging.Probabilities)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(views);
        if (views.Count is 0 or > MaxViews)
        {
            throw new ArgumentOutOfRangeException(nameof(views), views.Count, $"Test-time augmentation takes 1 to {MaxViews} views.");
        }

        if (views.Any(v => !(v.Weight > 0) || !double.IsFinite(v.Weight) || v.Epoch < 0))
        {
            throw new ArgumentOutOfRangeException(nameof(views), "Every view needs a weight above 0 and an epoch of at least 0.");
        }

        var total = views.Sum(v => v.Weight);
        (Name, Views, Averaging) = (name, [.. views.Select(v => v with { Weight = v.Weight / total })], averaging);
    }

    /// <summary>What it is, for reports.</summary>
    public string Name { get; }

    /// <summary>The views, with weights that sum to 1.</summary>
    public IReadOnlyList<TestTimeView> Views { get; }

    /// <summary>Whether probabilities or logits are averaged.</summary>
    public TestTimeAveraging Averaging { get; }

    /// <summary>One line for reports: the name, the views and the averaging.</summary>
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"{Name}: {Views.Count} views ({string.Join(", ", Views.Select(v => Views.All(o => Math.Abs(o.Weight - v.Weight) < 1e-12) ? v.Name : $"{v.Name} {v.Weight:0.###}"))}), {(Averaging == TestTimeAveraging.Logits ? "logits" : "probabilities")} averaged");

    /// <summary>The image and its mirror image, equally weighted (fastai's and timm's flip TTA).</summary>
    /// <param name="averaging">Whether probabilities or logits are averaged.</param>
    public static TestTimeAugmentation Flip(TestTimeAveraging averaging = TestTimeAveraging.Probabilities) =>
        new("flip", [new("image", null, false, 0, 1), new("mirror", null, true, 0, 1)], averaging);

    /// <summary>
    /// torchvision's five crops of the model's input size (the four corners and the centre) from the
    /// image resized as the model's preprocessing resizes it before its centre crop; a model that
    /// resizes straight to its input size is given images 8/7 as large (224 from 256), so the crops
    /// have margins to move in.
    /// </summary>
    /// <param name="model">The model's description: input size, preprocessing.</param>
    /// <param name="averaging">Whether probabilities or logits are averaged.</param>
    public static TestTimeAugmentation FiveCrop(ModelConfiguration model, TestTimeAveraging averaging = TestTimeAveraging.Probabilities) =>
        new("five-crop", Crops(model, mirror: false), averaging);

    /// <summary>The five crops and their mirror images (torchvision's <c>TenCrop</c>).</summary>
    /// <param name="model">The model's description: input size, preprocessing.</param>
    /// <param name="averaging">Whether probabilities or logits are averaged.</param>
    public static TestTimeAugmentation TenCrop(ModelConfiguration model, TestTimeAveraging averaging = TestTimeAveraging.Probabilities) =>
        new("ten-crop", Crops(model, mirror: true), averaging);

    /// <summary>
    /// fastai's <c>tta</c>: <paramref name="count"/> views through a random (training) transform, each
    /// with other per-sample random numbers, averaged and then mixed with the plain image at
    /// <paramref name="plainWeight"/>.
    /// </summary>
    /// <param name="augment">The random transform, ending in the same tensor layout as the loader's (ToTensor and Normalize).</param>
    /// <param name="count">Augmented views, 1 to 63.</param>
    /// <param name="plainWeight">The plain image's share, in [0, 1); fastai's default is 0.25.</param>
    /// <param name="averaging">Whether probabilities or logits are averaged.</param>
    public static TestTimeAugmentation Augmented(IImageTransform augment, int count = 4, double plainWeight = 0.25, TestTimeAveraging averaging = TestTimeAveraging.Probabilities)
    {
        ArgumentNullException.ThrowIfNull(augment);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxViews - 1);
        if (!(plainWeight >= 0 && plainWeight < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(plainWeight), plainWeight, "plainWeight must be in [0, 1).");
        }

        var views = Enumerable.Range(0, count).Select(i => new TestTimeView($"augmented {i + 1}", augment, false, i + 1, (1 - plainWeight) / count));
        return new TestTimeAugmentation($"augment x{count}", plainWeight > 0 ? [new("image", null, false, 0, plainWeight), .. views] : [.. views], averaging);
    }

    private static List<TestTimeView> Crops(ModelConfiguration model, bool mirror)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (height, width) = (model.InputHeight, model.InputWidth);
        var preprocessing = model.Preprocessing;
        var views = new List<TestTimeView>();
        for (var corner = 0; corner < 5; corner++)
        {
            var resize = preprocessing.ResizeSize is { } side
                ? new Resize(side, preprocessing.Interpolation)
                : new Resize((int)Math.Round(height * 8 / 7.0), (int)Math.Round(width * 8 / 7.0), preprocessing.Interpolation);
            List<IImageTransform> steps = [resize, new CornerCrop(corner, height, width), new ToTensor()];
            if (preprocessing.Mean.Count > 0)
            {
                steps.Add(new Normalize(preprocessing.Mean, preprocessing.Std));
            }

            var transform = new Compose([.. steps]);
            views.Add(new TestTimeView(CornerCrop.Names[corner], transform, false, 0, 1));
            if (mirror)
            {
                views.Add(new TestTimeView($"mirrored {CornerCrop.Names[corner]}", transform, true, 0, 1));
            }
        }

        return views;
    }
}
