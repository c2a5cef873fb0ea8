using System.Collections.Concurrent;
using CnnClassify.Downloads;
using CnnClassify.Serialization;

namespace CnnClassify.Models;

/// <summary>
/// Creates models by name, such as <c>ModelZoo.Create("resnet18", numClasses: 10, inChannels: 1)</c>.
/// Names follow torchvision (<c>vgg16_bn</c>, <c>mobilenet_v2</c>, <c>efficientnet_b0</c>) and are
/// case-insensitive; <see cref="Register"/> adds more.
/// </summary>
public static class ModelZoo
{
    private static readonly ConcurrentDictionary<string, Func<ModelOptions, ClassificationModel>> Factories = new(StringComparer.OrdinalIgnoreCase);
    private static readonly ConcurrentDictionary<string, int> MinimumImageSizes = new(StringComparer.OrdinalIgnoreCase);

    static ModelZoo()
    {
        // The smallest inputs are torchvision's (its weights' min_size) and, for the small-image
        // models, what their flattened features need.
        Register("simplecnn", o => new SimpleCnn(o.NumClasses, o.InChannels ?? 1, o.ImageSize ?? 28), minimumImageSize: 8);
        Register("lenet5", o => new LeNet5(o.NumClasses, o.InChannels ?? 1, o.ImageSize ?? 28), minimumImageSize: 12);
        Register("alexnet", o => new AlexNet(o.NumClasses, o.InChannels ?? 3), minimumImageSize: 63);
        foreach (var depth in new[] { 11, 13, 16, 19 })
        {
            Register($"vgg{depth}", o => Vgg.Create(depth, batchNorm: false, o.NumClasses, o.InChannels ?? 3), minimumImageSize: 32);
            Register($"vgg{depth}_bn", o => Vgg.Create(depth, batchNorm: true, o.NumClasses, o.InChannels ?? 3), minimumImageSize: 32);
        }

        Register("resnet18", o => ResNet.ResNet18(o.NumClasses, o.InChannels ?? 3));
        Register("resnet34", o => ResNet.ResNet34(o.NumClasses, o.InChannels ?? 3));
        Register("resnet50", o => ResNet.ResNet50(o.NumClasses, o.InChannels ?? 3));
        Register("resnet101", o => ResNet.ResNet101(o.NumClasses, o.InChannels ?? 3));
        Register("resnet152", o => ResNet.ResNet152(o.NumClasses, o.InChannels ?? 3));
        Register("googlenet", o => new GoogLeNet(o.NumClasses, o.InChannels ?? 3, o.AuxiliaryHeads, transformInput: o.TransformInput), minimumImageSize: 15);
        Register("mobilenet_v2", o => new MobileNetV2(o.NumClasses, o.InChannels ?? 3));
        Register("densenet121", o => DenseNet.DenseNet121(o.NumClasses, o.InChannels ?? 3), minimumImageSize: 29);
        Register("densenet169", o => DenseNet.DenseNet169(o.NumClasses, o.InChannels ?? 3), minimumImageSize: 29);
        Register("efficientnet_b0", o => EfficientNet.B0(o.NumClasses, o.InChannels ?? 3));
        RegisterCatalogue();
    }

    // The rest of torchvision's convolutional classifiers.
    private static void RegisterCatalogue()
    {
        Register("resnext50_32x4d", o => ResNet.ResNeXt50(o.NumClasses, o.InChannels ?? 3));
        Register("resnext101_32x8d", o => ResNet.ResNeXt101With32x8d(o.NumClasses, o.InChannels ?? 3));
        Register("resnext101_64x4d", o => ResNet.ResNeXt101With64x4d(o.NumClasses, o.InChannels ?? 3));
        Register("wide_resnet50_2", o => ResNet.WideResNet50(o.NumClasses, o.InChannels ?? 3));
        Register("wide_resnet101_2", o => ResNet.WideResNet101(o.NumClasses, o.InChannels ?? 3));
        Register("densenet161", o => DenseNet.DenseNet161(o.NumClasses, o.InChannels ?? 3), minimumImageSize: 29);
        Register("densenet201", o => DenseNet.DenseNet201(o.NumClasses, o.InChannels ?? 3), minimumImageSize: 29);
        for (var size = 1; size <= 7; size++)
        {
            var b = size;
            Register($"efficientnet_b{b}", o => EfficientNet.B(b, o.NumClasses, o.InChannels ?? 3));
        }

        Register("efficientnet_v2_s", o => EfficientNet.V2S(o.NumClasses, o.InChannels ?? 3));
        Register("efficientnet_v2_m", o => EfficientNet.V2M(o.NumClasses, o.InChannels ?? 3));
        Register("efficientnet_v2_l", o => EfficientNet.V2L(o.NumClasses, o.InChannels ?? 3));
        Register("mobilenet_v3_small", o => MobileNetV3.Small(o.NumClasses, o.InChannels ?? 3));
        Register("mobilenet_v3_large", o => MobileNetV3.Large(o.NumClasses, o.InChannels ?? 3));
        foreach (var (name, alpha) in new[] { ("mnasnet0_5", 0.5), ("mnasnet0_75", 0.75), ("mnasnet1_0", 1.0), ("mnasnet1_3", 1.3) })
        {
            Register(name, o => MnasNet.Create(name, alpha, o.NumClasses, o.InChannels ?? 3));
        }

        foreach (var width in new[] { 0.5, 1.0, 1.5, 2.0 })
        {
            var name = "shufflenet_v2_x" + width.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture).Replace('.', '_');
            Register(name, o => ShuffleNetV2.Create(width, o.NumClasses, o.InChannels ?? 3));
        }

        Register("squeezenet1_0", o => SqueezeNet.Create(1.0, o.NumClasses, o.InChannels ?? 3), minimumImageSize: 21);
        Register("squeezenet1_1", o => SqueezeNet.Create(1.1, o.NumClasses, o.InChannels ?? 3), minimumImageSize: 17);
        foreach (var name in RegNet.Names)
        {
            Register(name, o => RegNet.Create(name, o.NumClasses, o.InChannels ?? 3));
        }

        Register("convnext_tiny", o => ConvNeXt.Tiny(o.NumClasses, o.InChannels ?? 3), minimumImageSize: 32);
        Register("convnext_small", o => ConvNeXt.Small(o.NumClasses, o.InChannels ?? 3), minimumImageSize: 32);
        Register("convnext_base", o => ConvNeXt.Base(o.NumClasses, o.InChannels ?? 3), minimumImageSize: 32);
        Register("convnext_large", o => ConvNeXt.Large(o.NumClasses, o.InChannels ?? 3), minimumImageSize: 32);
        Register("inception_v3", o => new InceptionV3(o.NumClasses, o.InChannels ?? 3, o.AuxiliaryHeads, o.TransformInput), minimumImageSize: 75);
    }

    /// <summary>Every registered name, sorted.</summary>
    public static IReadOnlyList<string> Names => Factories.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>Creates the model registered as <paramref name="name"/>, with fresh weights or published ones.</summary>
    /// <param name="name">A registered name, such as <c>resnet18</c>.</param>
    /// <param name="numClasses">Classes the head predicts. With <paramref name="weights"/>, a count other than the published head's (1,000) keeps the pretrained backbone and puts a fresh head on it.</param>
    /// <param name="inChannels">Input channels: 3 for RGB, 1 for grayscale; <see langword="null"/> takes the model's own (1 for SimpleCNN and LeNet-5, else 3).</param>
    /// <param name="weights">
    /// Published weights to start from, by name: <c>DEFAULT</c>, <c>IMAGENET1K_V1</c> or
    /// <c>IMAGENET1K_V2</c> (see <see cref="WeightCatalog"/>). The file comes from the torch hub
    /// cache, downloaded on first use; the model then carries the weights' class names and
    /// preprocessing. <see langword="null"/> for fresh weights.
    /// </param>
    /// <param name="progress">Receives download progress when the weights are not cached yet.</param>
    /// <exception cref="ArgumentException">No model has that name, it has no such weights, or the weights cannot take <paramref name="inChannels"/>; the message lists what exists.</exception>
    /// <exception cref="Downloads.WeightDownloadException">The weights are not cached and cannot be downloaded; the message says where to put the file by hand.</exception>
    public static ClassificationModel Create(string name, int numClasses = 1000, int? inChannels = null, string? weights = null, IProgress<Downloads.DownloadProgress>? progress = null)
    {
        if (weights is null)
        {
            return Create(name, new ModelOptions { NumClasses = numClasses, InChannels = inChannels });
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        var entry = WeightCatalog.Get(name, weights);
        if (inChannels is not (null or 3))
        {
            throw new ArgumentException($"The published {entry} weights take RGB images; use inChannels: 3 (decode grayscale images as RGB), not {inChannels}.", nameof(inChannels));
        }

        var file = entry.Fetch(progress);
        var model = Create(entry.Model, new ModelOptions { NumClasses = entry.NumClasses, InChannels = 3, TransformInput = entry.Configuration.TransformInput });
        try
        {
            Serialization.PublishedWeights.Load(model, file);
            model.Configuration = entry.Configuration;
            if (numClasses != entry.NumClasses)
            {
                model.ReplaceHead(numClasses);
            }

            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates the model a configuration describes, with fresh weights, and gives it that
    /// configuration (classes, input size, preprocessing): a zoo model by its
    /// <see cref="ModelConfiguration.Architecture"/>, a builder model by its
    /// <see cref="ModelConfiguration.Layers"/>.
    /// </summary>
    /// <param name="configuration">The description, such as a checkpoint's.</param>
    /// <exception cref="ArgumentException">The configuration names no architecture (a custom model), an unknown one, or builder layers made by code.</exception>
    public static ClassificationModel Create(ModelConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ClassificationModel model;
        if (configuration.Layers is { } layers)
        {
            model = Models.CnnBuilder.FromArchitecture(layers).Build();
        }
        else if (configuration.Architecture is { } architecture)
        {
            model = Create(architecture, new ModelOptions
            {
                NumClasses = configuration.NumClasses,
                InChannels = configuration.InChannels,
                ImageSize = configuration.InputHeight,
                AuxiliaryHeads = configuration.AuxiliaryHeads,
                TransformInput = configuration.TransformInput,
            });
        }
        else
        {
            throw new ArgumentException("The configuration names neither a zoo architecture nor builder layers, so it describes a custom model; create that model in code and load the weights into it.", nameof(configuration));
        }

        try
        {
            if (model.NumClasses != configuration.NumClasses)
            {
                throw new ArgumentException($"The rebuilt model predicts {model.NumClasses} classes, but the configuration says {configuration.NumClasses}.", nameof(configuration));
            }

            model.Configuration = configuration;
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Creates the model registered as <paramref name="name"/> with full options.</summary>
    /// <param name="name">A registered name, such as <c>googlenet</c>.</param>
    /// <param name="options">The options.</param>
    /// <exception cref="ArgumentException">No model has that name; the message lists the names.</exception>
    public static ClassificationModel Create(string name, ModelOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.NumClasses, 1, nameof(options.NumClasses));
        if (options.InChannels is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.InChannels, "InChannels must be at least 1.");
        }

        if (!Factories.TryGetValue(name.Trim(), out var factory))
        {
            throw new ArgumentException($"Unknown model '{name}'. Known models: {string.Join(", ", Names)}.", nameof(name));
        }

        var model = factory(options);
        model.Configuration = model.Configuration with { Architecture = name.Trim().ToLowerInvariant(), AuxiliaryHeads = options.AuxiliaryHeads };
        return model;
    }

    /// <summary>Registers a model under <paramref name="name"/>, replacing any model of that name.</summary>
    /// <param name="name">The name; case-insensitive.</param>
    /// <param name="factory">Creates a new model from the options.</param>
    /// <param name="minimumImageSize">The smallest input height and width the model can take.</param>
    public static void Register(string name, Func<ModelOptions, ClassificationModel> factory, int minimumImageSize = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumImageSize, 1);
        Factories[name.Trim()] = factory;
        MinimumImageSizes[name.Trim()] = minimumImageSize;
    }

    /// <summary>The smallest input height and width the model registered as <paramref name="name"/> can take, such as 63 for <c>alexnet</c>.</summary>
    /// <param name="name">A registered name.</param>
    /// <exception cref="ArgumentException">No model has that name.</exception>
    public static int MinimumImageSize(string name) =>
        MinimumImageSizes.TryGetValue(name?.Trim() ?? string.Empty, out var size) ? size
        : throw new ArgumentException($"Unknown model '{name}'. Known models: {string.Join(", ", Names)}.", nameof(name));
}
