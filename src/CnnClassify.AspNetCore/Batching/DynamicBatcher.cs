using System.Diagnostics;
using System.Threading.Channels;
using CnnClassify.Inference;

namespace CnnClassify.Serving.Batching;

/// <summary>
/// Runs one model on batches of images from concurrent requests, as TorchServe and Triton do: the
/// first image waits at most <c>delay</c> for others to join it, up to <c>maxBatch</c> images run
/// together, and each caller gets its own prediction. Unlike a fixed delay, the wait ends at once
/// when no other admitted request is still being read or prepared, so a lone client pays no delay.
/// Images whose callers have given up before their batch starts are dropped unrun. The batcher owns
/// every image handed to it and disposes it.
/// </summary>
internal sealed class DynamicBatcher : IAsyncDisposable
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IImageClassifier _classifier;
    private readonly string _model;
    private readonly ServingMetrics _metrics;
    private readonly int _maxBatch;
    private readonly long _delayTicks;
    private readonly Func<int> _admitted;
    private readonly Task _loop;

    // admitted: images admitted and not yet answered (those in the batch being formed included).
    public DynamicBatcher(string model, IImageClassifier classifier, ServingMetrics metrics, int maxBatch, TimeSpan delay, Func<int> admitted)
    {
        _admitted = admitted;
        _model = model;
        _classifier = classifier;
        _metrics = metrics;
        _maxBatch = maxBatch;
        _delayTicks = (long)(delay.TotalSeconds * Stopwatch.Frequency);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues <paramref name="image"/> (the batcher now owns it) and completes with its prediction.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired first; the image is dropped if its batch has not started.</exception>
    public Task<Prediction> ClassifyAsync(PreparedImage image, CancellationToken cancellation)
    {
        var pending = new Pending(image, new TaskCompletionSource<Prediction>(TaskCreationOptions.RunContinuationsAsynchronously), Stopwatch.GetTimestamp(), cancellation);
        if (!_queue.Writer.TryWrite(pending))
        {
            image.Dispose();
            throw new ObjectDisposedException(nameof(DynamicBatcher), "The server is stopping.");
        }

        _metrics.Queued(_model, 1);
        return pending.Result.Task.WaitAsync(cancellation);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(_maxBatch);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            if (!reader.TryRead(out var first))
            {
                continue;
            }

            batch.Add(first);
            var deadline = Stopwatch.GetTimestamp() + _delayTicks;
            while (batch.Count < _maxBatch)
            {
                if (reader.TryRead(out var next))
                {
                    batch.Add(next);
                    continue;
                }

                // Wait only while another admitted image is on its way (being read or prepared).
                var remaining = deadline - Stopwatch.GetTimestamp();
                if (remaining <= 0 || _admitted() <= batch.Count || !await MoreWithinAsync(reader, remaining).ConfigureAwait(false))
                {
                    break;
                }
            }

            _metrics.Queued(_model, -batch.Count);
            Run(batch);
        }
    }

    // Whether another image arrives within `ticks`.
    private static async Task<bool> MoreWithinAsync(ChannelReader<Pending> reader, long ticks)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds((double)ticks / Stopwatch.Frequency));
        try
        {
            return await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Run(List<Pending> batch)
    {
        var live = new List<Pending>(batch.Count);
        foreach (var pending in batch)
        {
            if (pending.Cancellation.IsCancellationRequested)
            {
                pending.Result.TrySetCanceled(pending.Cancellation);
                pending.Image.Dispose();
            }
            else
            {
                live.Add(pending);
            }
        }

        if (live.Count == 0)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var predictions = _classifier.Classify([.. live.Select(p => p.Image)]);
            _metrics.BatchRan(_model, live.Count, Stopwatch.GetElapsedTime(started).TotalSeconds, live.Select(p => Seconds(started - p.Queued)));
            for (var i = 0; i < live.Count; i++)
            {
                live[i].Result.TrySetResult(predictions[i]);
            }
        }
        catch (Exception ex)
        {
            // A failed run fails the callers of this batch only; the loop goes on with the next.
            foreach (var pending in live)
            {
                pending.Result.TrySetException(ex);
            }
        }
        finally
        {
            live.ForEach(p => p.Image.Dispose());
        }
    }

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    private sealed record Pending(PreparedImage Image, TaskCompletionSource<Prediction> Result, long Queued, CancellationToken Cancellation);
}
