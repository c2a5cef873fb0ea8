using CnnClassify.Inference;
using CnnClassify.Serving.Batching;

namespace CnnClassify.Serving.Hosting;

/// <summary>
/// One model as the server holds it: the classifier, its batcher, how many images it has admitted,
/// and whether it has answered its warm-up call.
/// </summary>
internal sealed class ServedModel : IAsyncDisposable
{
    private readonly int _capacity;
    private int _admitted;
    private volatile bool _ready;

    public ServedModel(string name, IImageClassifier classifier, ServingMetrics metrics, ImageClassifierOptions options)
    {
        Name = name;
        Classifier = classifier;
        Description = classifier.Description;
        _capacity = options.QueueLength;
        Batcher = new DynamicBatcher(name, classifier, metrics, options.MaxBatchSize, options.BatchDelay, () => Admitted);
    }

    public string Name { get; }

    public IImageClassifier Classifier { get; }

    public ClassifierDescription Description { get; }

    /// <summary>The Grad-CAM explainer, when the classifier is one (a checkpoint on LibTorch).</summary>
    public IImageExplainer? Explainer => Classifier as IImageExplainer;

    public DynamicBatcher Batcher { get; }

    /// <summary>Whether the model has answered its warm-up call.</summary>
    public bool Ready => _ready;

    /// <summary>Images admitted and not yet answered.</summary>
    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Admits <paramref name="count"/> images unless that would exceed the queue length.</summary>
    public bool TryAdmit(int count)
    {
        while (true)
        {
            var current = Volatile.Read(ref _admitted);
            if (current + count > _capacity)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _admitted, current + count, current) == current)
            {
                return true;
            }
        }
    }

    public void Release(int count) => Interlocked.Add(ref _admitted, -count);

    /// <summary>Classifies a plain grey image of the model's input size through the batcher, then reports ready.</summary>
    public async Task WarmUpAsync(CancellationToken cancellation)
    {
        using var png = WarmUpImage.Encode(Description.InputWidth, Description.InputHeight);
        var prepared = Classifier.Prepare(png, "warm-up");
        await Batcher.ClassifyAsync(prepared, cancellation).ConfigureAwait(false);
        _ready = true;
    }

    public async ValueTask DisposeAsync()
    {
        await Batcher.DisposeAsync().ConfigureAwait(false);
        Classifier.Dispose();
    }
}
