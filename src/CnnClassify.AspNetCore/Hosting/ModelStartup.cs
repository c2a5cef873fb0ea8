using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CnnClassify.Serving.Hosting;

/// <summary>
/// Loads the models as the application starts (a model that cannot be loaded stops it), then warms
/// each one up in the background: liveness holds from the start, readiness once every model has
/// answered its warm-up call.
/// </summary>
internal sealed partial class ModelStartup(ModelCatalog catalog, ILogger<ModelStartup> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _warmUp = Task.CompletedTask;
    private int _stopped;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        catalog.Load();
        _warmUp = Task.WhenAll(catalog.Models.Select(WarmUpAsync));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A host may stop a service more than once, or after the container has disposed it.
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _warmUp.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping before the warm-up finished.
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            _stopping.Cancel();
        }

        _stopping.Dispose();
    }

    private async Task WarmUpAsync(ServedModel model)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await Task.Run(() => model.WarmUpAsync(_stopping.Token)).ConfigureAwait(false);
            var milliseconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Ready(logger, model.Name, milliseconds);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            WarmUpFailed(logger, model.Name, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} is ready: its warm-up call took {Milliseconds:F0} ms")]
    private static partial void Ready(ILogger logger, string model, double milliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {Model} failed its warm-up call and stays not ready")]
    private static partial void WarmUpFailed(ILogger logger, string model, Exception exception);
}
