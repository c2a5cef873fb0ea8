using System.Text.Json;
using System.Text.Json.Nodes;
using CnnClassify.Data.Transforms;

namespace CnnClassify.Models;

/// <summary>
/// The pretrained weights torchvision publishes for the zoo's models: <c>IMAGENET1K_V1</c>,
/// <c>IMAGENET1K_V2</c> where it exists, and <c>DEFAULT</c>, which names the same entry as
/// torchvision's. The facts (URLs, preprocessing, accuracies, parameter counts, categories) come
/// from torchvision 0.21's metadata.
/// </summary>
public static class WeightCatalog
{
    /// <summary>The alias that picks each model's recommended weights.</summary>
    public const string Default = "DEFAULT";

    /// <summary>What users must know about the weights' terms.</summary>
    public const string LicenseNote =
        "Trained on ImageNet-1k. The weights may carry terms from that dataset, whose access terms cover non-commercial research and education; check that your use is allowed.";

    private static readonly Lazy<Catalog> Data = new(Load);

    /// <summary>ImageNet-1k's 1,000 category names in label order, as torchvision lists them.</summary>
    public static IReadOnlyList<string> ImageNetCategories => Data.Value.Categories;

    /// <summary>Every catalogued entry, model by model.</summary>
    public static IReadOnlyList<PretrainedWeights> All => Data.Value.Entries;

    /// <summary>The entries of <paramref name="model"/>, empty when it has none.</summary>
    /// <param name="model">A zoo name, case-insensitive.</param>
    public static IReadOnlyList<PretrainedWeights> For(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return All.Where(w => string.Equals(w.Model, model.Trim(), StringComparison.OrdinalIgnoreCase)).ToList();
    }

    /// <summary>The name <see cref="Default"/> stands for with <paramref name="model"/>, or <see langword="null"/> when the model has no weights.</summary>
    /// <param name="model">A zoo name.</param>
    public static string? DefaultName(string model) =>
        Data.Value.Defaults.TryGetValue(model.Trim().ToLowerInvariant(), out var name) ? name : null;

    /// <summary>Finds the entry <paramref name="name"/> (or <see cref="Default"/>) of <paramref name="model"/>.</summary>
    /// <param name="model">A zoo name, such as <c>resnet50</c>.</param>
    /// <param name="name">A weights name such as <c>IMAGENET1K_V1</c>, or <c>DEFAULT</c>; case-insensitive.</param>
    /// <exception cref="ArgumentException">The model has no such weights; the message lists the ones it has.</exception>
    public static PretrainedWeights Get(string model, string name = Default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var entries = For(model);
        if (entries.Count == 0)
        {
            throw new ArgumentException($"Model '{model}' has no published pretrained weights. Models with weights: {string.Join(", ", Data.Value.Defaults.Keys.Order(StringComparer.Ordinal))}.", nameof(model));
        }

        var wanted = string.Equals(name.Trim(), Default, StringComparison.OrdinalIgnoreCase) ? DefaultName(model)! : name.Trim();
        return entries.FirstOrDefault(w => string.Equals(w.Name, wanted, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Model '{model}' has no weights '{name}'; it has {string.Join(", ", entries.Select(w => w.Name))} and {Default} ({DefaultName(model)}).", nameof(name));
    }

    private static Catalog Load()
    {
        using var stream = typeof(WeightCatalog).Assembly.GetManifestResourceStream("CnnClassify.Models.torchvision-weights.json")
            ?? throw new InvalidOperationException("The weight catalogue is missing from the assembly.");
        var root = JsonNode.Parse(stream)!.AsObject();
        var categories = root["categories"].Deserialize<List<string>>()!;
        var entries = new List<PretrainedWeights>();
        var defaults = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (model, node) in root["models"]!.AsObject())
        {
            defaults[model] = node!["default"]!.GetValue<string>();
            foreach (var weights in node["weights"]!.AsArray())
            {
                entries.Add(new PretrainedWeights
                {
                    Model = model,
                    Name = weights!["name"]!.GetValue<string>(),
                    Url = new Uri(weights["url"]!.GetValue<string>()),
                    Categories = categories,
                    CropSize = weights["crop_size"]!.GetValue<int>(),
                    Preprocessing = new Preprocessing
                    {
                        ResizeSize = weights["resize_size"]!.GetValue<int>(),
                        Interpolation = Enum.Parse<Interpolation>(weights["interpolation"]!.GetValue<string>(), ignoreCase: true),
                        Mean = weights["mean"].Deserialize<List<double>>()!,
                        Std = weights["std"].Deserialize<List<double>>()!,
                    },
                    Accuracy1 = weights["acc1"]!.GetValue<double>(),
                    Accuracy5 = weights["acc5"]!.GetValue<double>(),
                    Parameters = weights["num_params"]!.GetValue<long>(),
                    Gflops = weights["gflops"]!.GetValue<double>(),
                    Recipe = weights["recipe"]?.GetValue<string>() ?? "",
                });
            }
        }

        return new Catalog(categories, entries, defaults);
    }

    private sealed record Catalog(IReadOnlyList<string> Categories, IReadOnlyList<PretrainedWeights> Entries, IReadOnlyDictionary<string, string> Defaults);
}
