using System.Collections.Concurrent;

namespace CnnClassify.Models;

/// <summary>
/// Creates models by name, such as <c>ModelZoo.Create("resnet18", numClasses: 10, inChannels: 1)</c>.
/// Names follow torchvision (<c>vgg16_bn</c>, <c>mobilenet_v2</c>, <c>efficientnet_b0</c>) and are
/// case-insensitive; <see cref="Register"/> adds more.
/// </summary>
public static class ModelZoo
{
    private static readonly ConcurrentDictionary<string, Func<ModelOptions, ClassificationModel>> Factories = new(StringComparer.OrdinalIgnoreCase);

    static ModelZoo()
    {
        Register("simplecnn", o => new SimpleCnn(o.NumClasses, o.InChannels, o.ImageSize));
        Register("lenet5", o => new LeNet5(o.NumClasses, o.InChannels, o.ImageSize));
        Register("alexnet", o => new AlexNet(o.NumClasses, o.InChannels));
        foreach (var depth in new[] { 11, 13, 16, 19 })
        {
            Register($"vgg{depth}", o => Vgg.Create(depth, batchNorm: false, o.NumClasses, o.InChannels));
            Register($"vgg{depth}_bn", o => Vgg.Create(depth, batchNorm: true, o.NumClasses, o.InChannels));
        }

        Register("resnet18", o => ResNet.ResNet18(o.NumClasses, o.InChannels));
        Register("resnet34", o => ResNet.ResNet34(o.NumClasses, o.InChannels));
        Register("resnet50", o => ResNet.ResNet50(o.NumClasses, o.InChannels));
        Register("resnet101", o => ResNet.ResNet101(o.NumClasses, o.InChannels));
        Register("resnet152", o => ResNet.ResNet152(o.NumClasses, o.InChannels));
        Register("googlenet", o => new GoogLeNet(o.NumClasses, o.InChannels, o.AuxiliaryHeads));
        Register("mobilenet_v2", o => new MobileNetV2(o.NumClasses, o.InChannels));
        Register("densenet121", o => DenseNet.DenseNet121(o.NumClasses, o.InChannels));
        Register("densenet169", o => DenseNet.DenseNet169(o.NumClasses, o.InChannels));
        Register("efficientnet_b0", o => EfficientNet.B0(o.NumClasses, o.InChannels));
    }

    /// <summary>Every registered name, sorted.</summary>
    public static IReadOnlyList<string> Names => Factories.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>Creates the model registered as <paramref name="name"/>.</summary>
    /// <param name="name">A registered name, such as <c>resnet18</c>.</param>
    /// <param name="numClasses">Classes the head predicts.</param>
    /// <param name="inChannels">Input channels: 3 for RGB, 1 for grayscale.</param>
    /// <exception cref="ArgumentException">No model has that name; the message lists the names.</exception>
    public static ClassificationModel Create(string name, int numClasses = 1000, int inChannels = 3) =>
        Create(name, new ModelOptions { NumClasses = numClasses, InChannels = inChannels });

    /// <summary>Creates the model registered as <paramref name="name"/> with full options.</summary>
    /// <param name="name">A registered name, such as <c>googlenet</c>.</param>
    /// <param name="options">The options.</param>
    /// <exception cref="ArgumentException">No model has that name; the message lists the names.</exception>
    public static ClassificationModel Create(string name, ModelOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.NumClasses, 1, nameof(options.NumClasses));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.InChannels, 1, nameof(options.InChannels));
        if (!Factories.TryGetValue(name.Trim(), out var factory))
        {
            throw new ArgumentException($"Unknown model '{name}'. Known models: {string.Join(", ", Names)}.", nameof(name));
        }

        return factory(options);
    }

    /// <summary>Registers a model under <paramref name="name"/>, replacing any model of that name.</summary>
    /// <param name="name">The name; case-insensitive.</param>
    /// <param name="factory">Creates a new model from the options.</param>
    public static void Register(string name, Func<ModelOptions, ClassificationModel> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        Factories[name.Trim()] = factory;
    }
}
