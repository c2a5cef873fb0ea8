using CnnClassify.Data;
using CnnClassify.Data.Transforms;

namespace CnnClassify.Cli;

/// <summary>
/// Loads the datasets a command names and builds their transforms: from published weights'
/// preprocessing (resize, centre crop, their normalisation) when <see cref="ResizeSize"/> is set,
/// else a resize to the input size and the dataset's normalisation.
/// </summary>
internal sealed record CliData(IImageDataset Train, IImageDataset Validation, IImageDataset Test, int Channels, int ImageSize, Normalize Normalize)
{
    /// <summary>The shorter side images are resized to before a centre crop of <see cref="ImageSize"/>; <see langword="null"/> to resize straight to the input size.</summary>
    public int? ResizeSize { get; init; }

    /// <summary>The interpolation of the resize.</summary>
    public Interpolation Interpolation { get; init; } = Interpolation.Bilinear;

    public static readonly string[] DatasetNames = ["fashion-mnist", "mnist", "cifar10", "imagefolder", "csv"];

    /// <summary>Whether the images carry sets of labels.</summary>
    public bool IsMultiLabel => Train.IsMultiLabel;

    public IReadOnlyList<string> Classes => Train.Classes;

    /// <summary>Loads the named dataset; warnings (skipped files, odd folders) go to <paramref name="logger"/>.</summary>
    /// <exception cref="InvalidDataException">The training and test classes differ; both lists are named.</exception>
    /// <param name="preprocessing">The model's preprocessing (resize, interpolation, normalisation) when the images must follow it, as published weights and checkpoints say; <see langword="null"/> for the dataset's own.</param>
    /// <param name="exifOrientation">Whether photos are turned upright by their EXIF orientation.</param>
    /// <param name="followLinks">Whether an image folder's links that lead outside it are followed.</param>
    /// <param name="table">For <c>--dataset csv</c>: the label tables and how to read them (the training table, the test table or <see langword="null"/> to hold one out, and the options).</param>
    public static async Task<CliData> LoadAsync(string dataset, string? directory, double validationSplit, int seed, int? imageSize, Microsoft.Extensions.Logging.ILogger? logger = null, Models.Preprocessing? preprocessing = null, bool exifOrientation = false, bool followLinks = false, Func<DecodeSize?, LabelTables>? table = null)
    {
        var resize = preprocessing?.ResizeSize;
        var size = imageSize ?? 224;
        var decode = dataset is "imagefolder" or "csv" ? (resize is { } r ? DecodeSize.ShortSide(r) : DecodeSize.Box(size, size)) : null;
        var loaded = dataset == "csv"
            ? LoadTables((table ?? throw new UsageException("--dataset csv needs --labels FILE, a table of image paths and labels."))(decode), validationSplit, seed, imageSize)
            : await LoadSplitsAsync(dataset, directory, validationSplit, seed, imageSize, logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, decode, exifOrientation, followLinks).ConfigureAwait(false);
        loaded = loaded with { ApplyExifOrientation = exifOrientation };
        if (preprocessing is not null)
        {
            loaded = loaded with
            {
                ResizeSize = resize,
                Interpolation = preprocessing.Interpolation,
                Normalize = preprocessing.Mean.Count == loaded.Channels ? new Normalize(preprocessing.Mean, preprocessing.Std) : loaded.Normalize,
            };
        }

        if (!loaded.Train.Classes.SequenceEqual(loaded.Test.Classes))
        {
            throw new InvalidDataException($"The training and test data have different classes: training [{string.Join(", ", loaded.Train.Classes)}], test [{string.Join(", ", loaded.Test.Classes)}].");
        }

        return loaded;
    }

    /// <summary>
    /// Images and labels from tables: the training table split into training and validation (and
    /// test, when no test table is given), stratified by label (iteratively for multi-label data).
    /// A test table reads with the training table's classes, so its unknown labels are named.
    /// </summary>
    private static CliData LoadTables(LabelTables tables, double validationSplit, int seed, int? imageSize)
    {
        if (!(validationSplit > 0 && validationSplit < 1))
        {
            throw new UsageException($"--val-split must be between 0 and 1; got {validationSplit}.");
        }

        var full = LabeledImageDataset.FromCsv(tables.Train, tables.Options);
        IImageDataset test;
        IImageDataset rest = full;
        if (tables.Test is { } testTable)
        {
            test = LabeledImageDataset.FromCsv(testTable, tables.Options with { Classes = full.Classes, MultiLabel = full.IsMultiLabel });
        }
        else
        {
            (var kept, test) = Split(full, validationSplit, seed + 1, "test");
            rest = kept;
        }

        var (train, validation) = Split(rest, validationSplit, seed, "validation");
        var channels = tables.Options.ColorMode == ColorMode.Grayscale ? 1 : 3;
        return new CliData(train, validation, test, channels, imageSize ?? 224, channels == 1 ? new Normalize([0.5], [0.5]) : Normalize.ImageNet);
    }

    private static async Task<CliData> LoadSplitsAsync(string dataset, string? directory, double validationSplit, int seed, int? imageSize, Microsoft.Extensions.Logging.ILogger logger, DecodeSize? decode, bool exifOrientation, bool followLinks)
    {
        if (!(validationSplit > 0 && validationSplit < 1))
        {
            throw new UsageException($"--val-split must be between 0 and 1; got {validationSplit}.");
        }

        switch (dataset)
        {
            case "fashion-mnist" or "mnist":
            {
                var variant = dataset == "mnist" ? MnistVariant.Mnist : MnistVariant.FashionMnist;
                var folder = await new DatasetLocator().LocateAsync(variant, directory).ConfigureAwait(false);
                var full = MnistDataset.Load(folder, train: true, variant);
                var (train, validation) = Split(full, validationSplit, seed, "validation");
                return new CliData(train, validation, MnistDataset.Load(folder, train: false, variant), 1, imageSize ?? 28, variant == MnistVariant.Mnist ? Normalize.Mnist : Normalize.FashionMnist);
            }

            case "cifar10":
            {
                var folder = directory ?? throw new UsageException("--dataset cifar10 needs --data DIR, the folder of the binary batches (cifar-10-batches-bin).");
                var full = CifarDataset.Load(folder, train: true, CifarVariant.Cifar10);
                var (train, validation) = Split(full, validationSplit, seed, "validation");
                return new CliData(train, validation, CifarDataset.Load(folder, train: false, CifarVariant.Cifar10), 3, imageSize ?? 32, Normalize.Cifar10);
            }

            case "imagefolder":
            {
                var root = directory ?? throw new UsageException("--dataset imagefolder needs --data DIR with one subfolder per class (or train/ and test/ folders of them).");
                var channels = 3;
                var options = new ImageFolderOptions { ColorMode = ColorMode.Rgb, Logger = logger, DecodeSize = decode, ApplyExifOrientation = exifOrientation, FollowLinks = followLinks };
                var trainRoot = Directory.Exists(Path.Combine(root, "train")) ? Path.Combine(root, "train") : root;
                var full = new ImageFolderDataset(trainRoot, options);
                IImageDataset test;
                IImageDataset rest = full;
                if (Directory.Exists(Path.Combine(root, "test")))
                {
                    test = new ImageFolderDataset(Path.Combine(root, "test"), options);
                }
                else
                {
                    (var kept, test) = Split(full, validationSplit, seed + 1, "test");
                    rest = kept;
                }

                var (train, validation) = Split(rest, validationSplit, seed, "validation");
                return new CliData(train, validation, test, channels, imageSize ?? 224, Normalize.ImageNet);
            }

            default:
                throw new UsageException($"Unknown dataset '{dataset}'. Use {string.Join(", ", DatasetNames)}.");
        }
    }

    /// <summary>
    /// A stratified split that leaves every class images on both sides: a split too small (or too
    /// large) for a class would give metrics over nothing, so it is a usage error naming the option.
    /// </summary>
    private static (Subset Train, Subset Held) Split(IImageDataset full, double fraction, int seed, string part)
    {
        var (train, held) = DatasetSplit.Split(full, fraction, seed, stratified: true);
        foreach (var (side, name) in new[] { ((IImageDataset)held, part), (train, "training") })
        {
            var present = new HashSet<int>(Enumerable.Range(0, side.Count).SelectMany(side.LabelsAt));
            if (Enumerable.Range(0, full.Classes.Count).FirstOrDefault(c => !present.Contains(c), -1) is var missing and >= 0)
            {
                var count = Enumerable.Range(0, full.Count).Count(i => full.LabelsAt(i).Contains(missing));
                throw new UsageException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"--val-split {fraction} leaves class '{full.Classes[missing]}' ({count} images) without a {name} image; give a split that keeps every class on both sides, or more images."));
            }
        }

        return (train, held);
    }

    /// <summary>Where <c>--dataset csv</c> reads its images and labels.</summary>
    /// <param name="Train">The training table (for evaluate, the test table).</param>
    /// <param name="Test">The test table, or <see langword="null"/> to hold out a share of <paramref name="Train"/>.</param>
    /// <param name="Options">How the tables are read.</param>
    internal sealed record LabelTables(string Train, string? Test, LabelTableOptions Options);

    /// <summary>The evaluation pipeline's description, which the model carries into its checkpoint.</summary>
    public Models.Preprocessing Preprocessing => new()
    {
        ResizeSize = ResizeSize,
        Interpolation = Interpolation,
        Mean = Normalize.Mean,
        Std = Normalize.Std,
        ApplyExifOrientation = ApplyExifOrientation,
    };

    /// <summary>Whether photos are turned upright by their EXIF orientation.</summary>
    public bool ApplyExifOrientation { get; init; }

    /// <summary>
    /// For evaluation, the transform the model's description gives (<see cref="Preprocessing"/>, so
    /// predictors prepare images exactly as validation did); for training, the same resize and
    /// normalisation with the augmentation level's random crop and transforms.
    /// </summary>
    public IImageTransform Transform(string augment, bool training)
    {
        if (!training)
        {
            return Preprocessing.Transform(ImageSize, ImageSize);
        }

        var steps = new List<IImageTransform>();
        var random = augment != "none";
        if (ResizeSize is { } side)
        {
            steps.Add(new Resize(side, Interpolation));
            steps.Add(random ? new RandomCrop(ImageSize) : new CenterCrop(ImageSize));
        }
        else
        {
            steps.Add(new Resize(ImageSize, ImageSize, Interpolation));
        }

        switch (augment)
        {
            case "none":
                break;
            case "light":
                AddCropAndFlip(steps);
                break;
            case "strong":
                AddCropAndFlip(steps);
                steps.Add(new RandomRotation(15));
                steps.Add(new ColorJitter(0.2, 0.2, Channels == 3 ? 0.2 : 0));
                break;
            case "randaugment" or "trivialaugment" or "autoaugment" or "augmix":
                // timm's and torchvision's recipes: crop and flip, then the policy on the uint8 image.
                AddCropAndFlip(steps);
                steps.Add(Policy(augment));
                break;
            default:
                throw new UsageException($"--augment must be {AugmentChoices}; got '{augment}'.");
        }

        steps.Add(new ToTensor());
        steps.Add(Normalize);
        if (augment == "strong")
        {
            steps.Add(new RandomErasing(0.25));
        }

        return new Compose([.. steps]);
    }

    /// <summary>The values <c>--augment</c> takes, for usage and error lines.</summary>
    public const string AugmentChoices = "none, light, strong, randaugment, trivialaugment, autoaugment or augmix";

    // The augmentation policy a preset names, with torchvision's defaults (RandAugment m9 as timm's rand-m9).
    private static IImageTransform Policy(string name) => name switch
    {
        "randaugment" => new RandAugment(operations: 2, magnitude: 9),
        "trivialaugment" => new TrivialAugmentWide(),
        "autoaugment" => new AutoAugment(AutoAugmentPolicy.ImageNet),
        _ => new AugMix(),
    };

    // A random crop (padded when the image is resized to the input size) and a horizontal flip.
    private void AddCropAndFlip(List<IImageTransform> steps)
    {
        if (ResizeSize is null)
        {
            steps.Add(new RandomCrop(ImageSize, padding: Math.Max(1, ImageSize / 8)));
        }

        steps.Add(new RandomHorizontalFlip());
    }
}
