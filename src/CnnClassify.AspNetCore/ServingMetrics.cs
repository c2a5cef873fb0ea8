using System.Diagnostics.Metrics;

namespace CnnClassify.Serving;

/// <summary>
/// The server's OpenTelemetry instruments, on the meter <see cref="MeterName"/>: requests by
/// outcome, the time spent queued, preparing, in the model and in all, batch sizes and the queue.
/// Add the meter to an OpenTelemetry meter provider (and its Prometheus exporter for
/// <c>/metrics</c>) to export them.
/// </summary>
public sealed class ServingMetrics
{
    /// <summary>The meter's name: <c>CnnClassify.Serving</c>.</summary>
    public const string MeterName = "CnnClassify.Serving";

    // Latencies from half a millisecond to a minute, in seconds (OpenTelemetry's own defaults are in milliseconds).
    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60];
    private static readonly int[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _queueWait;
    private readonly Histogram<double> _preprocess;
    private readonly Histogram<double> _inference;
    private readonly Histogram<double> _duration;
    private readonly Histogram<int> _batchSize;
    private readonly UpDownCounter<long> _queued;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    /// <param name="meterFactory">The application's meter factory.</param>
    public ServingMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("cnnclassify.serving.requests", "{request}", "Requests answered, by model and outcome.");
        _queueWait = meter.CreateHistogram("cnnclassify.serving.queue_wait", "s", "Time an image waited for its batch to start.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _preprocess = meter.CreateHistogram("cnnclassify.serving.preprocess.duration", "s", "Time to decode, resize and normalise one image.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _inference = meter.CreateHistogram("cnnclassify.serving.inference.duration", "s", "Time the model took for one batch.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _duration = meter.CreateHistogram("cnnclassify.serving.request.duration", "s", "Time from a request's admission to its answer.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _batchSize = meter.CreateHistogram("cnnclassify.serving.batch.size", "{image}", "Images run together.", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchBuckets });
        _queued = meter.CreateUpDownCounter<long>("cnnclassify.serving.queue.length", "{image}", "Images prepared and waiting for the model.");
    }

    internal void Request(string model, string outcome, double seconds)
    {
        var tags = new KeyValuePair<string, object?>[] { new("model", model), new("outcome", outcome) };
        _requests.Add(1, tags);
        if (seconds >= 0)
        {
            _duration.Record(seconds, tags);
        }
    }

    internal void Preprocessed(string model, double seconds) => _preprocess.Record(seconds, new KeyValuePair<string, object?>("model", model));

    internal void Queued(string model, int delta) => _queued.Add(delta, new KeyValuePair<string, object?>("model", model));

    internal void BatchRan(string model, int size, double inferenceSeconds, IEnumerable<double> waits)
    {
        var tag = new KeyValuePair<string, object?>("model", model);
        _batchSize.Record(size, tag);
        _inference.Record(inferenceSeconds, tag);
        foreach (var wait in waits)
        {
            _queueWait.Record(wait, tag);
        }
    }
}
