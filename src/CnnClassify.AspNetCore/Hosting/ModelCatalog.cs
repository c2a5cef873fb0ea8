using CnnClassify.Inference;
using CnnClassify.Onnx;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CnnClassify.Serving.Hosting;

/// <summary>The served models by name, loaded when the application starts and disposed when it stops.</summary>
internal sealed partial class ModelCatalog(IOptions<ImageClassifierOptions> options, IServiceProvider services, ServingMetrics metrics, ILogger<ModelCatalog> logger) : IAsyncDisposable
{
    private readonly Dictionary<string, ServedModel> _models = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<ServedModel> Models => _models.Values;

    public bool TryGet(string name, out ServedModel model) => _models.TryGetValue(name, out model!);

    /// <summary>Loads every registered model; a model that cannot be loaded stops the application with its name and why.</summary>
    public void Load()
    {
        var settings = options.Value;
        foreach (var (name, path) in settings.Models)
        {
            Add(name, () => new OnnxPredictor(path, (settings.OnnxRuntime ?? new OnnxPredictorOptions()) with { MaxPixels = settings.MaxPixels }), path);
        }

        foreach (var (name, factory) in settings.Factories)
        {
            Add(name, () => factory(services), "code");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var model in _models.Values)
        {
            await model.DisposeAsync().ConfigureAwait(false);
        }

        _models.Clear();
    }

    private void Add(string name, Func<IImageClassifier> create, string source)
    {
        IImageClassifier classifier;
        try
        {
            classifier = create();
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidOperationException($"ImageClassifier: the model '{name}' ({source}) cannot be loaded: {ex.Message}", ex);
        }

        var model = new ServedModel(name, classifier, metrics, options.Value);
        _models[name] = model;
        var d = model.Description;
        Loaded(logger, name, d.Runtime, d.Architecture ?? "custom", d.ClassNames.Count, d.InputWidth, d.InputHeight, source);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} loaded on {Runtime}: {Architecture}, {Classes} classes, input {Width}x{Height} (from {Source})")]
    private static partial void Loaded(ILogger logger, string model, string runtime, string architecture, int classes, int width, int height, string source);
}
