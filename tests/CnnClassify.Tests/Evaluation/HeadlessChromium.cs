using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CnnClassify.Tests.Evaluation;

/// <summary>
/// Debian's headless Chromium driven over the DevTools protocol on 127.0.0.1: opens a page,
/// collects console messages, errors and failed requests, evaluates script and takes a screenshot.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly List<string> _problems = [];
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<int, TaskCompletionSource<JsonObject>> _pending = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _reader;
    private int _nextId;

    private HeadlessChromium(Process process, string profile) => (_process, _profile) = (process, profile);

    /// <summary>The browser binary, or <see langword="null"/> when it is not installed.</summary>
    public static string? Executable => new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    /// <summary>Console errors and warnings, uncaught exceptions and failed loads seen so far.</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (_problems)
            {
                return [.. _problems];
            }
        }
    }

    public static async Task<HeadlessChromium> StartAsync()
    {
        var profile = Directory.CreateTempSubdirectory("cnnclassify-chromium-").FullName;
        var start = new ProcessStartInfo(Executable ?? throw new InvalidOperationException("Chromium is not installed."))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            $"--user-data-dir={profile}", "--window-size=1500,1000", "about:blank",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        var browser = new HeadlessChromium(process, profile);
        var endpoint = await ReadEndpointAsync(process).ConfigureAwait(false);
        var port = new Uri(endpoint).Port;
        using var http = new HttpClient();
        string pageSocket = string.Empty;
        for (var attempt = 0; attempt < 100 && pageSocket.Length == 0; attempt++)
        {
            var targets = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/json/list")).ConfigureAwait(false))!.AsArray();
            pageSocket = targets.FirstOrDefault(t => (string?)t!["type"] == "page")?["webSocketDebuggerUrl"]?.GetValue<string>() ?? string.Empty;
            if (pageSocket.Length == 0)
            {
                await Task.Delay(100).ConfigureAwait(false);
            }
        }

        await browser._socket.ConnectAsync(new Uri(pageSocket), CancellationToken.None).ConfigureAwait(false);
        browser._reader = Task.Run(browser.ReadLoopAsync);
        await browser.SendAsync("Runtime.enable").ConfigureAwait(false);
        await browser.SendAsync("Log.enable").ConfigureAwait(false);
        await browser.SendAsync("Page.enable").ConfigureAwait(false);
        await browser.SendAsync("Network.enable").ConfigureAwait(false);
        return browser;
    }

    /// <summary>Opens <paramref name="url"/> and waits for its load event.</summary>
    public async Task NavigateAsync(string url)
    {
        var result = await SendAsync("Page.navigate", new JsonObject { ["url"] = url }).ConfigureAwait(false);
        if (result["errorText"] is { } error)
        {
            throw new InvalidOperationException($"Chromium could not open {url}: {error}");
        }

        await _loaded.Task.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its JSON value.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true }).ConfigureAwait(false);
        return result["result"]?["value"]?.DeepClone();
    }

    /// <summary>A PNG screenshot of the whole page.</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true }).ConfigureAwait(false);
        return Convert.FromBase64String(result["data"]!.GetValue<string>());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // Already gone.
        }

        _socket.Dispose();
        _process.Dispose();
        _stop.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still hold a file for a moment; the temp folder is cleaned by the system.
        }
    }

    private static async Task<string> ReadEndpointAsync(Process process)
    {
        var output = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardError.ReadLineAsync(timeout.Token).ConfigureAwait(false) is { } line)
        {
            output.AppendLine(line);
            var at = line.IndexOf("ws://", StringComparison.Ordinal);
            if (line.StartsWith("DevTools listening on", StringComparison.Ordinal) && at >= 0)
            {
                _ = process.StandardError.ReadToEndAsync();
                return line[at..].Trim();
            }
        }

        throw new InvalidOperationException($"Chromium exited without a DevTools endpoint:\n{output}");
    }

    private async Task<JsonObject> SendAsync(string method, JsonObject? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_pending)
        {
            _pending[id] = reply;
        }

        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
        var answer = await reply.Task.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        if (answer["error"] is { } error)
        {
            throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
        }

        return answer["result"]?.AsObject() ?? [];
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token).ConfigureAwait(false);
                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage)
                {
                    continue;
                }

                var json = JsonNode.Parse(message.ToArray())!.AsObject();
                message.SetLength(0);
                Handle(json);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // The browser closed.
        }
    }

    private void Handle(JsonObject json)
    {
        if (json["id"] is { } id)
        {
            TaskCompletionSource<JsonObject>? reply;
            lock (_pending)
            {
                _pending.Remove(id.GetValue<int>(), out reply);
            }

            reply?.TrySetResult(json);
            return;
        }

        var parameters = json["params"];
        switch ((string?)json["method"])
        {
            case "Page.loadEventFired":
                _loaded.TrySetResult();
                break;
            case "Runtime.consoleAPICalled" when (string?)parameters!["type"] is "error" or "warning" or "assert":
                Problem($"console.{parameters!["type"]}: {parameters["args"]?.ToJsonString()}");
                break;
            case "Runtime.exceptionThrown":
                Problem($"exception: {parameters!["exceptionDetails"]?.ToJsonString()}");
                break;
            case "Log.entryAdded" when (string?)parameters!["entry"]!["level"] is "error" or "warning":
                Problem($"log {parameters!["entry"]!["level"]}: {parameters["entry"]!["text"]} {parameters["entry"]!["url"]}");
                break;
            case "Network.loadingFailed":
                Problem($"failed load: {parameters!.ToJsonString()}");
                break;
        }
    }

    private void Problem(string text)
    {
        lock (_problems)
        {
            _problems.Add(text);
        }
    }
}
