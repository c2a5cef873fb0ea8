using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using CnnClassify.Cli;

namespace CnnClassify.Tests.Serving;

/// <summary>
/// <c>cnnclassify serve</c> as a user runs it: a process that listens on 127.0.0.1, prints where,
/// answers classify, OpenAPI and metrics requests, and stops cleanly on SIGTERM (what a container runtime sends); bad options are
/// refused in one line before anything listens.
/// </summary>
public sealed partial class ServeCommandTests(ServingFixture fixture) : IClassFixture<ServingFixture>
{
    [SkippableFact]
    public async Task Serve_listens_answers_exports_metrics_and_stops_on_sigterm()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the test stops the server with SIGTERM through kill(1), on Linux only");
        using var process = StartCli("serve", "--model", $"shapes={fixture.Onnx}", "--port", "0", "--metrics", "--batch-delay-ms", "1");
        // However the test ends, the server does not outlive it.
        using var reaper = new Reaper(process);
        var lines = new List<string>();
        string? address = null;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (address is null && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
                address = Serving().Match(line) is { Success: true } match ? match.Groups[1].Value : null;
            }
        }

        if (address is null)
        {
            Assert.Fail($"serve printed no address:\n{string.Join('\n', lines)}\n{await StandardError(process)}");
        }

        using var http = new HttpClient { BaseAddress = new Uri(address!), Timeout = TimeSpan.FromSeconds(30) };
        if (!await ReadyAsync(http))
        {
            Assert.Fail($"serve never became ready at {address}:\n{string.Join('\n', lines)}\n{await StandardError(process)}");
        }

        using var answer = await http.PostAsync(new Uri("/v1/models/shapes/classify", UriKind.Relative), ServingEndpointTests.Raw(fixture.Images[4]));
        using var refused = await http.PostAsync(new Uri("/v1/models/shapes/classify", UriKind.Relative), new StringContent("hello"));
        var page = await http.GetStringAsync(new Uri("/", UriKind.Relative));
        var openApi = await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        var exited = process.WaitForExit(30_000);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(fixture.Reference.Predict(fixture.Images[4]).ClassName, (await ServingEndpointTests.Json(answer)).GetProperty("labels")[0].GetProperty("class").GetString());
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, refused.StatusCode);
        Assert.Contains("id=\"drop\"", page, StringComparison.Ordinal);
        Assert.Contains("/v1/models/{name}/classify", openApi, StringComparison.Ordinal);
        Assert.Matches("cnnclassify_serving_requests_total\\{[^}]*outcome=\"ok\"[^}]*\\} [1-9]", metrics);
        Assert.Matches("cnnclassify_serving_requests_total\\{[^}]*outcome=\"unsupported_media_type\"[^}]*\\} 1", metrics);
        Assert.Contains("cnnclassify_serving_batch_size", metrics, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_last_collection_heap_size_bytes", metrics, StringComparison.Ordinal);
        Assert.True(exited, "serve did not stop within 30 s of SIGTERM");
        Assert.Equal(0, process.ExitCode);
    }

    [Theory]
    [InlineData("--port", "70000", "--port")]
    [InlineData("--max-batch", "0", "--max-batch")]
    [InlineData("--batch-delay-ms", "-1", "--batch-delay-ms")]
    public async Task A_bad_option_is_refused_in_one_line_with_exit_2(string option, string value, string named)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await CliApp.RunAsync(["serve", "--model", fixture.Onnx, option, value], output, error);

        Assert.Equal(2, code);
        Assert.Contains(named, error.ToString(), StringComparison.Ordinal);
        Assert.Single(error.ToString().Trim().Split('\n'));
    }

    [Fact]
    public async Task A_missing_model_file_is_refused_with_exit_2_before_anything_listens()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await CliApp.RunAsync(["serve", "--model", Path.Combine(fixture.Directory, "nothing.onnx"), "--port", "0"], output, error);

        Assert.Equal(2, code);
        Assert.Contains("nothing.onnx' does not exist", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(output.ToString());
    }

    // The cnnclassify CLI built beside the tests, as its own process.
    internal static Process StartCli(params string[] arguments)
    {
        var configuration = typeof(ServeCommandTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var cli = RepositoryPaths.Combine("samples", "CnnClassify.Cli", "bin", configuration, "net10.0", "CnnClassify.Cli.dll");
        Assert.True(File.Exists(cli), $"{cli} is missing; build the solution first.");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(cli);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    // Polls readiness for at most 30 s, through refused connections while the server starts.
    private static async Task<bool> ReadyAsync(HttpClient http)
    {
        for (var i = 0; i < 150; i++)
        {
            try
            {
                using var ready = await http.GetAsync(new Uri("/healthz/ready", UriKind.Relative));
                if (ready.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        return false;
    }

    private static async Task<string> StandardError(Process process)
    {
        var exited = process.HasExited ? $"exited {process.ExitCode}" : "still running";
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        return $"({exited})\n{await process.StandardOutput.ReadToEndAsync()}\n{await process.StandardError.ReadToEndAsync()}";
    }

    // Kills the process (and its children) if it is still running when disposed.
    private sealed class Reaper(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
    }

    [GeneratedRegex(@"^serving \S+ at (http://127\.0\.0\.1:\d+)/")]
    private static partial Regex Serving();
}
