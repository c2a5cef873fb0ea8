using CnnClassify.Inference;
using CnnClassify.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace CnnClassify.Cli;

/// <summary>What <c>cnnclassify serve</c> runs.</summary>
/// <param name="Models">Model names and their <c>.onnx</c> or checkpoint files.</param>
internal sealed record ServeSettings(IReadOnlyDictionary<string, string> Models)
{
    /// <summary>The address to listen on.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 picks a free one.</summary>
    public int Port { get; init; } = 8080;

    /// <summary>The batcher's delay.</summary>
    public TimeSpan BatchDelay { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Images run together at most.</summary>
    public int MaxBatch { get; init; } = 32;

    /// <summary>Images admitted at once per model.</summary>
    public int QueueLength { get; init; } = 256;

    /// <summary>Largest upload of one image.</summary>
    public long MaxUploadBytes { get; init; } = 16L << 20;

    /// <summary>Per-request timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>ONNX Runtime's intra-op threads; null for its default.</summary>
    public int? Threads { get; init; }

    /// <summary>Whether ONNX Runtime's threads spin between operators (off: the CPU goes to requests instead).</summary>
    public bool Spinning { get; init; }

    /// <summary>Whether <c>/metrics</c> is served.</summary>
    public bool Metrics { get; init; }

    /// <summary>Whether the demo page is served at <c>/</c>.</summary>
    public bool DemoPage { get; init; } = true;
}

/// <summary>
/// Composes the server <c>cnnclassify serve</c> runs: the ASP.NET Core package's endpoints, the
/// OpenAPI document at <c>/openapi/v1.json</c>, and (when asked) OpenTelemetry metrics for
/// Prometheus at <c>/metrics</c>. <c>.onnx</c> files run on ONNX Runtime; checkpoints on LibTorch,
/// which adds Grad-CAM to the demo page.
/// </summary>
internal static class ServeHost
{
    public static WebApplication Build(ServeSettings settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The options are the whole configuration: an appsettings.json that happens to be in the
        // working folder, or ASPNETCORE_ variables, do not change what serve does.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("CnnClassify", LogLevel.Information);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = Math.Max(settings.MaxUploadBytes, 64L << 20);
            // Kestrel buffers at most this much of a connection's unread body (1 MiB by default) in
            // pooled blocks that it gives back only slowly; uploads are read into the classifier's own
            // segments as they arrive, so a small window costs nothing and bounds what a burst of
            // large or abandoned uploads leaves behind.
            kestrel.Limits.MaxRequestBufferSize = 64 * 1024;
        });
        builder.WebHost.UseSockets(sockets => sockets.MaxReadBufferSize = 64 * 1024);
        builder.WebHost.UseUrls($"http://{settings.Host}:{settings.Port}");
        builder.Services.AddImageClassifier(options =>
        {
            foreach (var (name, path) in settings.Models)
            {
                if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
                {
                    options.AddModel(name, path);
                }
                else
                {
                    options.AddModel(name, _ => Predictor.FromCheckpoint(path));
                }
            }

            options.OnnxRuntime = new Onnx.OnnxPredictorOptions { Threads = settings.Threads, AllowSpinning = settings.Spinning };
            options.BatchDelay = settings.BatchDelay;
            options.MaxBatchSize = settings.MaxBatch;
            options.QueueLength = settings.QueueLength;
            options.MaxImagesPerRequest = Math.Min(options.MaxImagesPerRequest, settings.QueueLength);
            options.MaxUploadBytes = settings.MaxUploadBytes;
            options.RequestTimeout = settings.Timeout;
            options.DemoPage = settings.DemoPage;
        });
        builder.Services.AddOpenApi();
        if (settings.Metrics)
        {
            // The server's own meter, and what .NET and ASP.NET Core measure of the process, the requests and Kestrel.
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(ServingMetrics.MeterName, "System.Runtime", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                .AddPrometheusExporter());
        }

        var app = builder.Build();
        app.MapImageClassifier();
        app.MapOpenApi();
        if (settings.Metrics)
        {
            app.MapPrometheusScrapingEndpoint();
        }

        return app;
    }
}
