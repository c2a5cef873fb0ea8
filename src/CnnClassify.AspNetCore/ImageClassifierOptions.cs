using CnnClassify.Inference;
using CnnClassify.Onnx;

namespace CnnClassify.Serving;

/// <summary>
/// The models a server classifies with and the limits that protect it. Set them in
/// <c>AddImageClassifier</c> (or bind them from configuration); they are validated when the
/// application starts, and a bad value stops it with one line naming the option.
/// </summary>
public sealed class ImageClassifierOptions
{
    /// <summary>The content types of images accepted by default: JPEG, PNG, BMP, GIF, TIFF and WebP.</summary>
    public static readonly IReadOnlyList<string> ImageContentTypes = ["image/jpeg", "image/png", "image/bmp", "image/gif", "image/tiff", "image/webp"];

    private readonly Dictionary<string, Func<IServiceProvider, IImageClassifier>> _factories = new(StringComparer.Ordinal);

    /// <summary>Exported models by name: the name in the URL, and the <c>.onnx</c> file (bindable from configuration).</summary>
    public IDictionary<string, string> Models { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How the ONNX Runtime predictors of <see cref="Models"/> run (threads); <see langword="null"/> for their defaults.</summary>
    public OnnxPredictorOptions? OnnxRuntime { get; set; }

    /// <summary>Largest body of one image, in bytes: 16 MiB by default. Larger uploads are answered 413 before they are read.</summary>
    public long MaxUploadBytes { get; set; } = 16L << 20;

    /// <summary>Largest body of a batch request, in bytes: 64 MiB by default.</summary>
    public long MaxBatchUploadBytes { get; set; } = 64L << 20;

    /// <summary>Most images in one batch request: 64 by default.</summary>
    public int MaxImagesPerRequest { get; set; } = 64;

    /// <summary>Largest width x height of an image, read from its header before it is decoded: 40 megapixels by default. Larger images are answered 413.</summary>
    public long MaxPixels { get; set; } = 40_000_000;

    /// <summary>The image content types accepted, raw or as multipart parts; anything else is answered 415.</summary>
    public IList<string> AllowedContentTypes { get; } = [.. ImageContentTypes];

    /// <summary>Longest a request may take from its first byte to its answer, reading included: 30 s by default. Beyond it the answer is 504.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Longest the first image of a batch waits for others to join it: 2 ms by default. It waits
    /// only while other admitted requests are still being read or prepared, so a lone request runs
    /// at once; zero runs whatever is queued at once.
    /// </summary>
    public TimeSpan BatchDelay { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Most images the model runs at once: 32 by default.</summary>
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>
    /// Most images a model admits at once (being read, prepared, queued or run): 256 by default.
    /// Beyond it requests are answered 503 with <c>Retry-After</c>, and those already admitted complete.
    /// </summary>
    public int QueueLength { get; set; } = 256;

    /// <summary>The <c>Retry-After</c> given with a 503: 1 s by default.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Classes listed in an answer when the request gives no <c>top</c>: 5 by default.</summary>
    public int DefaultTop { get; set; } = 5;

    /// <summary>Whether the demo page is served at the application's root (<c>/</c>): off by default.</summary>
    public bool DemoPage { get; set; }

    /// <summary>Where liveness is answered; readiness is at its <c>/ready</c>. <see langword="null"/> maps neither. Default <c>/healthz</c>.</summary>
    public string? HealthPath { get; set; } = "/healthz";

    /// <summary>Models created by code (a checkpoint-backed <c>Predictor</c>, a custom classifier), by name.</summary>
    internal IReadOnlyDictionary<string, Func<IServiceProvider, IImageClassifier>> Factories => _factories;

    /// <summary>Adds an exported model.</summary>
    /// <param name="name">Its name in URLs: letters, digits, '.', '_' or '-', at most 64.</param>
    /// <param name="onnxPath">The <c>.onnx</c> file.</param>
    /// <returns>These options, for chaining.</returns>
    public ImageClassifierOptions AddModel(string name, string onnxPath)
    {
        Models[name] = onnxPath;
        return this;
    }

    /// <summary>
    /// Adds a model created by code when the application starts, such as a checkpoint on LibTorch:
    /// <c>AddModel("flowers", _ =&gt; Predictor.FromCheckpoint("best.ckpt"))</c>. A classifier that is
    /// also an <see cref="IImageExplainer"/> gets the Grad-CAM endpoint. The server disposes it.
    /// </summary>
    /// <param name="name">Its name in URLs: letters, digits, '.', '_' or '-', at most 64.</param>
    /// <param name="factory">Creates the classifier from the application's services.</param>
    /// <returns>These options, for chaining.</returns>
    public ImageClassifierOptions AddModel(string name, Func<IServiceProvider, IImageClassifier> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _factories[name] = factory;
        return this;
    }
}
