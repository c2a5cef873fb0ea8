using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CnnClassify.Export;
using CnnClassify.Models;
using CnnClassify.Native;
using CnnClassify.Onnx;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CnnClassify.Benchmarks;

/// <summary>
/// <c>cnnclassify serve</c> under load, on 127.0.0.1 only, as its own process:
/// <list type="bullet">
/// <item>throughput and p50/p95/p99 latency for 1, 8 and 32 concurrent clients sending a fixed
/// number of PNG requests, SimpleCNN and ResNet-18 exported to ONNX, against
/// <c>OnnxPredictor.PredictBatch</c> called directly on the same files with batch 32, in turns in
/// the same run (<c>--rounds</c>, medians);</item>
/// <item><c>--faults</c>: 1,000 bad requests of seven kinds (truncated images, a header claiming
/// 60,000 x 60,000 pixels, empty bodies, wrong content types, uploads over the limit, chunked
/// uploads over the limit, clients that disconnect mid-upload) sent while valid requests flow, each
/// checked for its status and every valid answer checked against <c>OnnxPredictor</c>; the
/// server's resident memory before and after; then an overload of a server with a short queue.</item>
/// </list>
/// </summary>
internal static partial class ServeBenchmark
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task RunAsync(string[] args)
    {
        var root = Directory.CreateTempSubdirectory("cnnclassify-serve-bench-").FullName;
        try
        {
            Console.WriteLine($"CPU: {CpuCapabilities.ProcessorName()}, {CpuCapabilities.Current.Describe()}, {Environment.ProcessorCount} logical processors; server and clients on the same machine, 127.0.0.1");
            var models = Arguments.Option(args, "--models", "simplecnn,resnet18").Split(',');
            var prepared = models.Select(name => Prepare(root, name)).ToList();
            if (args.Contains("--faults"))
            {
                await FaultsAsync(prepared[0], int.Parse(Arguments.Option(args, "--fault-rounds", "3"), CultureInfo.InvariantCulture), Arguments.Option(args, "--kinds", string.Empty)).ConfigureAwait(false);
                return;
            }

            var rounds = int.Parse(Arguments.Option(args, "--rounds", "3"), CultureInfo.InvariantCulture);
            Console.WriteLine($"Requests: one PNG each, raw body; batch delay 2 ms, max batch 32; {rounds} rounds in turns, medians");
            Console.WriteLine("| Model | Clients | Requests | Images/s | p50 | p95 | p99 | vs PredictBatch(32) |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var model in prepared)
            {
                using var server = await ServerProcess.StartAsync(model.Onnx, args.Contains("--spin") ? ["--spin"] : []).ConfigureAwait(false);
                using var direct = new OnnxPredictor(model.Onnx);
                direct.PredictBatch(model.Files.Take(32), 32);
                var clients = new[] { 1, 8, 32 };
                var results = clients.ToDictionary(c => c, _ => new List<Load>());
                var baseline = new List<double>();
                for (var round = 0; round < rounds; round++)
                {
                    baseline.Add(Direct(direct, model));
                    foreach (var c in clients)
                    {
                        results[c].Add(await LoadAsync(server.Address, model, c).ConfigureAwait(false));
                    }
                }

                var reference = Median(baseline);
                Console.WriteLine($"| {model.Name} | PredictBatch(32), in process | {model.Requests:N0} | {reference:N0} | | | | 1.00 |");
                foreach (var c in clients)
                {
                    var runs = results[c];
                    var throughput = Median(runs.Select(r => r.Throughput));
                    Console.WriteLine($"| {model.Name} | {c} | {model.Requests:N0} | {throughput:N0} | {Median(runs.Select(r => r.P50)):F1} ms | {Median(runs.Select(r => r.P95)):F1} ms | {Median(runs.Select(r => r.P99)):F1} ms | {throughput / reference:F2} |");
                }

                Console.WriteLine($"|  | batches the server ran for {model.Name}: {server.BatchSummary()} | | | | | | |");
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private sealed record Model(string Name, string Onnx, List<string> Files, List<byte[]> Bodies, int Requests);

    private sealed record Load(double Throughput, double P50, double P95, double P99);

    // A seeded model of the zoo exported to ONNX, and 64 PNG files of its input size.
    private static Model Prepare(string root, string name)
    {
        var (channels, size, requests) = name == "resnet18" ? (3, 224, 512) : (1, 28, 4096);
        using var model = ModelZoo.Create(name, new ModelOptions { NumClasses = 10, InChannels = channels, ImageSize = size });
        model.Configuration = model.Configuration with { InputHeight = size, InputWidth = size, Preprocessing = model.Configuration.Preprocessing with { ResizeSize = null } };
        var onnx = Path.Combine(root, $"{name}.onnx");
        model.ExportOnnx(onnx);
        var files = Enumerable.Range(0, 64).Select(i => WritePng(Path.Combine(root, name, $"{i}.png"), channels, size, i)).ToList();
        return new Model(name, onnx, files, [.. files.Select(File.ReadAllBytes)], requests);
    }

    // Images per second of PredictBatch(batch 32) over the same number of images the clients send.
    private static double Direct(OnnxPredictor predictor, Model model)
    {
        var files = Enumerable.Range(0, model.Requests).Select(i => model.Files[i % model.Files.Count]).ToList();
        var clock = Stopwatch.StartNew();
        predictor.PredictBatch(files, 32);
        return model.Requests / clock.Elapsed.TotalSeconds;
    }

    private static async Task<Load> LoadAsync(Uri address, Model model, int clients)
    {
        using var http = Client(address, clients);
        var latencies = new double[model.Requests];
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < model.Requests)
            {
                var started = Stopwatch.GetTimestamp();
                using var answer = await http.PostAsync(new Uri($"/v1/models/{model.Name}/classify", UriKind.Relative), Png(model.Bodies[i % model.Bodies.Count])).ConfigureAwait(false);
                await answer.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                if (answer.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"request {i}: {(int)answer.StatusCode}");
                }

                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        })).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        double At(double q) => latencies[Math.Min(latencies.Length - 1, (int)(q * latencies.Length))];
        return new Load(model.Requests / seconds, At(0.50), At(0.95), At(0.99));
    }

    private static async Task FaultsAsync(Model model, int faultRounds, string only)
    {
        const long claimed = 512 * 1024;
        using var server = await ServerProcess.StartAsync(model.Onnx, ["--max-upload-mb", "1", "--queue", "512"]).ConfigureAwait(false);
        using var direct = new OnnxPredictor(model.Onnx);
        using var http = Client(server.Address, 16);
        var expected = model.Files.Select(f => direct.Predict(f)).ToList();
        var uri = new Uri($"/v1/models/{model.Name}/classify", UriKind.Relative);
        var big = new byte[(1 << 20) + 1024];
        var kinds = new (string Kind, int Status, Func<HttpContent?> Content)[]
        {
            ("truncated image", 400, () => Png(model.Bodies[0][..(model.Bodies[0].Length / 2)])),
            ("header claims 60000x60000", 413, () => Png(ClaimSize(model.Bodies[1], 60_000, 60_000))),
            ("empty body", 400, () => Png([])),
            ("wrong content type", 415, () => new ByteArrayContent(model.Bodies[2]) { Headers = { ContentType = new MediaTypeHeaderValue("text/plain") } }),
            ("upload over the limit", 413, () => Png(big)),
            ("chunked upload over the limit", 413, () => new StreamContent(new NonSeekable(big)) { Headers = { ContentType = new MediaTypeHeaderValue("image/png") } }),
            ("client disconnects mid-upload", 0, () => null),
        };
        if (only.Length > 0)
        {
            // --kinds 0,4: only those kinds, to find which one costs memory.
            kinds = [.. only.Split(',').Select(k => kinds[int.Parse(k, CultureInfo.InvariantCulture)])];
        }

        // Warm the server up with the valid traffic of the run (four clients at once, so that the
        // model has run the batch sizes it will run), then read its memory.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async c =>
        {
            for (var i = c; i < 800; i += 4)
            {
                using var warm = await http.PostAsync(uri, Png(model.Bodies[i % model.Bodies.Count])).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
        await Task.Delay(2000).ConfigureAwait(false);

        var resident = new List<long> { server.ResidentBytes() };
        var heap = new List<double> { server.ManagedHeapBytes() };
        Console.WriteLine($"warmed up: {server.ResidentBreakdown()}");
        for (var round = 1; round <= faultRounds; round++)
        {
            var (counts, valid, wrong, seconds) = await FaultRoundAsync(server, http, model, expected, kinds, claimed).ConfigureAwait(false);
            await Task.Delay(2000).ConfigureAwait(false);
            resident.Add(server.ResidentBytes());
            heap.Add(server.ManagedHeapBytes());
            Console.WriteLine($"after round {round}: {server.ResidentBreakdown()}");
            if (round == 1)
            {
                Console.WriteLine($"Faults against {model.Name} (upload limit 1 MiB), 4 clients of bad requests beside 4 of valid ones, rounds of 1,000; round 1 took {seconds:F1} s:");
                Console.WriteLine("| Bad request | Sent per round | Expected status |");
                Console.WriteLine("| --- | ---: | ---: |");
                foreach (var (kind, status, _) in kinds)
                {
                    Console.WriteLine($"| {kind} | {counts[kind]} | {(status == 0 ? "none (the client is gone); the server goes on" : status.ToString(CultureInfo.InvariantCulture))} |");
                }
            }

            Console.WriteLine($"round {round}: {valid:N0} valid requests answered alongside; wrong answers or statuses: {wrong.Count}");
            wrong.Take(10).ToList().ForEach(w => Console.WriteLine($"  {w}"));
        }

        Console.WriteLine($"server managed heap after its last collection (MiB): {string.Join(", ", heap.Select(h => (h / 1048576.0).ToString("F1", CultureInfo.InvariantCulture)))}");
        Console.WriteLine($"server resident memory (MiB): warmed up with 800 valid requests from 4 clients {resident[0] / 1048576.0:F1}; after each round {string.Join(", ", resident.Skip(1).Select(r => (r / 1048576.0).ToString("F1", CultureInfo.InvariantCulture)))}; last round against round 1: {(resident[^1] - resident[1]) * 100.0 / resident[1]:+0.0;-0.0} %, against the start: {(resident[^1] - resident[0]) * 100.0 / resident[0]:+0.0;-0.0} %");
        await OverloadAsync(model).ConfigureAwait(false);
    }

    private static async Task<(Dictionary<string, int> Counts, int Valid, List<string> Wrong, double Seconds)> FaultRoundAsync(
        ServerProcess server, HttpClient http, Model model, List<Inference.Prediction> expected, (string Kind, int Status, Func<HttpContent?> Content)[] kinds, long claimed)
    {
        var uri = new Uri($"/v1/models/{model.Name}/classify", UriKind.Relative);
        var wrong = new List<string>();
        var counts = kinds.ToDictionary(k => k.Kind, _ => 0);
        var valid = 0;
        using var stop = new CancellationTokenSource();
        var validFlow = Task.WhenAll(Enumerable.Range(0, 4).Select(async c =>
        {
            for (var i = c; !stop.IsCancellationRequested; i += 4)
            {
                var k = i % model.Bodies.Count;
                using var answer = await http.PostAsync(uri, Png(model.Bodies[k])).ConfigureAwait(false);
                var body = await answer.Content.ReadAsStringAsync().ConfigureAwait(false);
                var json = JsonDocument.Parse(body).RootElement;
                var top = json.GetProperty("top");
                if (answer.StatusCode != HttpStatusCode.OK || top[0].GetProperty("class").GetString() != expected[k].TopK(1)[0].Name
                    || Math.Abs(top[0].GetProperty("probability").GetDouble() - expected[k].TopK(1)[0].Probability) > 1e-6)
                {
                    lock (wrong)
                    {
                        wrong.Add($"valid request {k}: {(int)answer.StatusCode} {body[..Math.Min(200, body.Length)]}");
                    }
                }

                Interlocked.Increment(ref valid);
            }
        }));
        var clock = Stopwatch.StartNew();
        var sent = -1;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref sent)) < 1000)
            {
                var (kind, status, content) = kinds[i % kinds.Length];
                if (content() is { } body)
                {
                    using var answer = await http.PostAsync(uri, body).ConfigureAwait(false);
                    var text = await answer.Content.ReadAsStringAsync().ConfigureAwait(false);
                    if ((int)answer.StatusCode != status || answer.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    {
                        lock (wrong)
                        {
                            wrong.Add($"{kind}: {(int)answer.StatusCode} {text[..Math.Min(200, text.Length)]}");
                        }
                    }
                }
                else
                {
                    await DisconnectMidUploadAsync(server.Address, uri, claimed).ConfigureAwait(false);
                }

                lock (counts)
                {
                    counts[kind]++;
                }
            }
        })).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await validFlow.ConfigureAwait(false);
        var faultSeconds = clock.Elapsed.TotalSeconds;
        return (counts, valid, wrong, faultSeconds);
    }

    // A server admitting 8 images, sent 64 concurrent requests of ResNet-sized work: the ones past
    // the queue get 503 with Retry-After, the admitted ones complete with the right answer.
    private static async Task OverloadAsync(Model model)
    {
        using var server = await ServerProcess.StartAsync(model.Onnx, ["--queue", "8", "--max-batch", "4"]).ConfigureAwait(false);
        using var direct = new OnnxPredictor(model.Onnx);
        using var http = Client(server.Address, 64);
        var uri = new Uri($"/v1/models/{model.Name}/classify", UriKind.Relative);
        var answers = await Task.WhenAll(Enumerable.Range(0, 256).Select(async i =>
        {
            using var answer = await http.PostAsync(uri, Png(model.Bodies[i % model.Bodies.Count])).ConfigureAwait(false);
            var body = await answer.Content.ReadAsStringAsync().ConfigureAwait(false);
            var right = answer.StatusCode == HttpStatusCode.OK
                && JsonDocument.Parse(body).RootElement.GetProperty("labels")[0].GetProperty("class").GetString() == direct.Predict(model.Files[i % model.Files.Count]).ClassName;
            return (answer.StatusCode, RetryAfter: answer.Headers.RetryAfter?.Delta, right);
        })).ConfigureAwait(false);
        var ok = answers.Count(a => a.StatusCode == HttpStatusCode.OK);
        var refused = answers.Count(a => a.StatusCode == HttpStatusCode.ServiceUnavailable);
        Console.WriteLine($"Overload: 256 requests at once against a queue of 8: {ok} answered 200 ({answers.Count(a => a.right)} with the right class), {refused} answered 503 ({answers.Count(a => a.StatusCode == HttpStatusCode.ServiceUnavailable && a.RetryAfter is not null)} with Retry-After), {answers.Length - ok - refused} other");
    }

    // Sends the headers and part of a body that claims more, then closes the connection.
    private static async Task DisconnectMidUploadAsync(Uri address, Uri path, long claimed)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(address.Host, address.Port).ConfigureAwait(false);
        var stream = socket.GetStream();
        var head = $"POST {path} HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: image/png\r\nContent-Length: {claimed}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head)).ConfigureAwait(false);
        await stream.WriteAsync(new byte[claimed / 4]).ConfigureAwait(false);
        socket.Client.Shutdown(SocketShutdown.Both);
    }

    private static HttpClient Client(Uri address, int connections) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseProxy = false }) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(120) };

    private static ByteArrayContent Png(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return content;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string WritePng(string path, int channels, int size, int seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(seed);
        using var image = new Image<Rgb24>(size, size);
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var v = (byte)random.Next(256);
                image[x, y] = channels == 1 ? new Rgb24(v, v, v) : new Rgb24(v, (byte)random.Next(256), (byte)random.Next(256));
            }
        }

        image.SaveAsPng(path);
        return path;
    }

    // A valid PNG whose IHDR (CRC recomputed) claims another size.
    private static byte[] ClaimSize(byte[] png, int width, int height)
    {
        var bytes = (byte[])png.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes.AsSpan(12, 17))
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), ~crc);
        return bytes;
    }

    // A stream that cannot seek, so HttpClient sends it chunked, without a Content-Length.
    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    /// <summary><c>cnnclassify serve</c> started from the Release build beside this one, on a free port of 127.0.0.1.</summary>
    private sealed partial class ServerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly List<string> _output = [];

        private ServerProcess(Process process, Uri address) => (_process, Address) = (process, address);

        public Uri Address { get; }

        public static async Task<ServerProcess> StartAsync(string onnx, string[] extra)
        {
            var root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "CnnClassify.sln")))
            {
                root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("No CnnClassify.sln above the benchmark.");
            }

            var cli = Path.Combine(root, "samples", "CnnClassify.Cli", "bin", "Release", "net10.0", "CnnClassify.Cli.dll");
            if (!File.Exists(cli))
            {
                throw new FileNotFoundException($"{cli} is missing: build it with 'dotnet build -c Release samples/CnnClassify.Cli'.");
            }

            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { cli, "serve", "--model", onnx, "--port", "0", "--metrics", "--no-demo" }.Concat(extra))
            {
                start.ArgumentList.Add(argument);
            }

            var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false) is { } line)
            {
                if (Serving().Match(line) is { Success: true } match)
                {
                    var server = new ServerProcess(process, new Uri(match.Groups[1].Value));
                    _ = Task.Run(async () =>
                    {
                        while (await process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } more)
                        {
                            lock (server._output)
                            {
                                server._output.Add(more);
                            }
                        }
                    });
                    await server.WaitReadyAsync().ConfigureAwait(false);
                    return server;
                }
            }

            throw new InvalidOperationException($"cnnclassify serve exited without listening: {await error.ConfigureAwait(false)}");
        }

        /// <summary>The server's resident set, from /proc.</summary>
        public long ResidentBytes()
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }

        /// <summary>The server's anonymous and file-backed resident memory, and its thread count, from /proc, in one line.</summary>
        public string ResidentBreakdown()
        {
            var lines = File.ReadLines($"/proc/{_process.Id}/smaps_rollup").ToList();
            long Field(string name) => long.Parse(lines.First(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            var threads = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("Threads:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1].Trim();
            using var http = new HttpClient { BaseAddress = Address };
            var heaps = http.GetStringAsync(new Uri("/metrics", UriKind.Relative)).GetAwaiter().GetResult().Split('\n')
                .Where(l => l.StartsWith("dotnet_gc_last_collection_heap_size_bytes{", StringComparison.Ordinal))
                .Select(l => $"{l[(l.IndexOf("generation=\"", StringComparison.Ordinal) + 12)..l.IndexOf('"', l.IndexOf("generation=\"", StringComparison.Ordinal) + 12)]} {double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture) / 1048576.0:F1}");
            return $"anonymous {Field("Anonymous") / 1024.0:F1} MiB, file-backed {(Field("Rss") - Field("Anonymous")) / 1024.0:F1} MiB, {threads} threads; heaps {string.Join(", ", heaps)}";
        }

        /// <summary>The managed heap after the server's last collection, from its runtime metrics, in bytes.</summary>
        public double ManagedHeapBytes()
        {
            using var http = new HttpClient { BaseAddress = Address };
            var text = http.GetStringAsync(new Uri("/metrics", UriKind.Relative)).GetAwaiter().GetResult();
            return Sum(text, "dotnet_gc_last_collection_heap_size_bytes");
        }

        /// <summary>The mean batch size the server ran, from its Prometheus metrics.</summary>
        public string BatchSummary()
        {
            using var http = new HttpClient { BaseAddress = Address };
            var text = http.GetStringAsync(new Uri("/metrics", UriKind.Relative)).GetAwaiter().GetResult();
            var sum = Sum(text, "cnnclassify_serving_batch_size_sum");
            var count = Sum(text, "cnnclassify_serving_batch_size_count");
            return count > 0 ? $"{count:N0} batches, {sum / count:F1} images each on average" : "none";
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
                if (!_process.WaitForExit(30_000))
                {
                    _process.Kill(entireProcessTree: true);
                }
            }

            _process.Dispose();
        }

        private static double Sum(string metrics, string name) =>
            metrics.Split('\n').Where(l => l.StartsWith(name, StringComparison.Ordinal))
                .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

        private async Task WaitReadyAsync()
        {
            using var http = new HttpClient { BaseAddress = Address };
            for (var i = 0; i < 600; i++)
            {
                try
                {
                    using var ready = await http.GetAsync(new Uri("/healthz/ready", UriKind.Relative)).ConfigureAwait(false);
                    if (ready.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(100).ConfigureAwait(false);
            }

            throw new TimeoutException("cnnclassify serve did not become ready in 60 s.");
        }

        [GeneratedRegex(@"^serving \S+ at (http://127\.0\.0\.1:\d+)/")]
        private static partial Regex Serving();
    }
}
