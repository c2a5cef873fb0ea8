using System.CommandLine;
using CnnClassify.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CnnClassify.Cli;

/// <summary><c>serve</c>: serves models over HTTP with dynamic batching, a demo page, OpenAPI and metrics.</summary>
internal static class ServeCommand
{
    public static Command Create(TextWriter output)
    {
        var models = new Option<string[]>("--model") { Description = "A model to serve: an .onnx file (ONNX Runtime) or a checkpoint (LibTorch, with Grad-CAM), as PATH or NAME=PATH; repeat for several.", Required = true, AllowMultipleArgumentsPerToken = false };
        var host = new Option<string>("--host") { Description = "The address to listen on (0.0.0.0 for every interface).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The port; 0 picks a free one.", DefaultValueFactory = _ => 8080 }.Between(0, 65535);
        var delay = new Option<double>("--batch-delay-ms") { Description = "Longest the first image of a batch waits for others.", DefaultValueFactory = _ => 2 }.From(0, 1000);
        var maxBatch = new Option<int>("--max-batch") { Description = "Most images run together.", DefaultValueFactory = _ => 32 }.Between(1, 4096);
        var queue = new Option<int>("--queue") { Description = "Most images admitted at once per model; beyond it requests get 503 with Retry-After.", DefaultValueFactory = _ => 256 }.Between(1, 1_000_000);
        var upload = new Option<int>("--max-upload-mb") { Description = "Largest upload of one image, in MiB.", DefaultValueFactory = _ => 16 }.Between(1, 2047);
        var timeout = new Option<int>("--timeout-s") { Description = "Longest a request may take, in seconds; beyond it the answer is 504.", DefaultValueFactory = _ => 30 }.Between(1, 3600);
        var threads = new Option<int?>("--threads") { Description = "ONNX Runtime threads per model; by default the physical cores." }.Between(1, OptionRules.MaxThreads);
        var spinning = new Option<bool>("--spin") { Description = "Let ONNX Runtime's threads spin between operators (off by default, leaving the CPU to requests)." };
        var metrics = new Option<bool>("--metrics") { Description = "Serve OpenTelemetry metrics for Prometheus at /metrics." };
        var noDemo = new Option<bool>("--no-demo") { Description = "Do not serve the demo page at /." };
        var command = new Command("serve", "Serve models over HTTP: /v1/models/{name}, a demo page at /, /healthz, /openapi/v1.json and (--metrics) /metrics.")
        {
            models, host, port, delay, maxBatch, queue, upload, timeout, threads, spinning, metrics, noDemo,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var settings = new ServeSettings(Named(parse.GetValue(models)!))
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                BatchDelay = TimeSpan.FromMilliseconds(parse.GetValue(delay)),
                MaxBatch = parse.GetValue(maxBatch),
                QueueLength = parse.GetValue(queue),
                MaxUploadBytes = (long)parse.GetValue(upload) << 20,
                Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                Threads = parse.GetValue(threads),
                Spinning = parse.GetValue(spinning),
                Metrics = parse.GetValue(metrics),
                DemoPage = !parse.GetValue(noDemo),
            };
            await using var app = ServeHost.Build(settings);
            try
            {
                await app.StartAsync(cancellation).ConfigureAwait(false);
            }
            catch (OptionsValidationException ex)
            {
                throw new UsageException(string.Join(" ", ex.Failures));
            }
            catch (IOException ex) when (ex.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
            {
                throw new IOException($"--port {settings.Port}: {ex.Message}", ex);
            }

            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var options = app.Services.GetRequiredService<IOptions<ImageClassifierOptions>>().Value;
            foreach (var name in settings.Models.Keys)
            {
                output.WriteLine($"serving {name} at {address}/v1/models/{name} (POST /classify, /classify/batch, /explain)");
            }

            output.WriteLine($"batching: up to {options.MaxBatchSize} images, {options.BatchDelay.TotalMilliseconds:0.##} ms delay, {options.QueueLength} admitted per model");
            output.WriteLine($"demo page {(settings.DemoPage ? $"{address}/" : "off")}; health {address}/healthz and /healthz/ready; OpenAPI {address}/openapi/v1.json{(settings.Metrics ? $"; metrics {address}/metrics" : string.Empty)}");
            output.WriteLine("press Ctrl+C to stop");
            output.Flush();
            try
            {
                await app.WaitForShutdownAsync(cancellation).ConfigureAwait(false);
            }
            finally
            {
                await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    // PATH or NAME=PATH; the name defaults to the file's name without its extension.
    private static Dictionary<string, string> Named(string[] models)
    {
        var named = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var model in models)
        {
            var at = model.IndexOf('=', StringComparison.Ordinal);
            var (name, path) = at > 0 ? (model[..at], model[(at + 1)..]) : (Path.GetFileNameWithoutExtension(model), model);
            if (!File.Exists(path))
            {
                throw new UsageException($"--model '{path}' does not exist.");
            }

            if (!named.TryAdd(name, path))
            {
                throw new UsageException($"--model: the name '{name}' is given twice; name them as NAME=PATH.");
            }
        }

        return named;
    }
}
