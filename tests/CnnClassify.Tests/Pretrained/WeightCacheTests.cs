using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using CnnClassify.Downloads;

namespace CnnClassify.Tests.Pretrained;

/// <summary>The torch hub cache, against a weight server on 127.0.0.1.</summary>
[Collection(SerialTests.Name)]
public sealed class WeightCacheTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("cnnclassify-hub-").FullName;
    private readonly byte[] _file = RandomNumberGenerator.GetBytes(300_000);
    private readonly string _prefix;

    public WeightCacheTests() => _prefix = Convert.ToHexStringLower(SHA256.HashData(_file))[..8];

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private Uri Published => new($"https://weights.invalid/models/tiny-{_prefix}.pth");

    private string Checkpoints => Path.Combine(_home, "hub", "checkpoints");

    [Fact]
    public void A_missing_file_is_downloaded_with_progress_and_a_second_call_makes_no_request()
    {
        using var server = new WeightServer(_file);
        using var environment = new EnvironmentScope(("TORCH_HOME", _home), (WeightCache.BaseUrlVariable, server.BaseUrl));
        var reports = new List<DownloadProgress>();
        var progress = new SynchronousProgress<DownloadProgress>(reports.Add);

        var first = WeightCache.Fetch(Published, _prefix, progress);
        var second = WeightCache.Fetch(Published, _prefix, progress);

        Assert.Equal(Path.Combine(Checkpoints, $"tiny-{_prefix}.pth"), first);
        Assert.Equal(first, second);
        Assert.Equal(_file, File.ReadAllBytes(first));
        Assert.Equal(1, server.Requests);
        Assert.Equal($"/models/tiny-{_prefix}.pth", server.LastPath);
        Assert.Equal(_file.Length, reports[^1].BytesReceived);
        Assert.Equal(_file.Length, reports[^1].TotalBytes);
        Assert.Equal([$"tiny-{_prefix}.pth"], Directory.GetFiles(Checkpoints).Select(Path.GetFileName));
    }

    [Fact]
    public void A_file_whose_hash_does_not_match_its_name_is_refused_and_the_cache_stays_empty()
    {
        using var server = new WeightServer(_file);
        using var environment = new EnvironmentScope(("TORCH_HOME", _home), (WeightCache.BaseUrlVariable, server.BaseUrl));
        var wrong = new Uri("https://weights.invalid/models/tiny-00000000.pth");

        var error = Assert.Throws<WeightDownloadException>(() => WeightCache.Fetch(wrong, "00000000"));

        Assert.Contains("does not start with 00000000", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Checkpoints));
    }

    [Fact]
    public void A_truncated_transfer_is_refused_and_leaves_nothing()
    {
        using var server = new WeightServer(_file, truncateAt: 100_000);
        using var environment = new EnvironmentScope(("TORCH_HOME", _home), (WeightCache.BaseUrlVariable, server.BaseUrl));

        var error = Assert.Throws<WeightDownloadException>(() => WeightCache.Fetch(Published, _prefix));

        Assert.Contains(server.BaseUrl, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Checkpoints));
    }

    [Fact]
    public void The_cache_folder_follows_TORCH_HOME_then_XDG_CACHE_HOME_then_the_home_folder()
    {
        var xdg = Path.Combine(_home, "xdg");
        using (new EnvironmentScope(("TORCH_HOME", _home), ("XDG_CACHE_HOME", xdg)))
        {
            Assert.Equal(Path.Combine(_home, "hub", "checkpoints"), WeightCache.Directory);
        }

        using (new EnvironmentScope(("TORCH_HOME", null), ("XDG_CACHE_HOME", xdg)))
        {
            Assert.Equal(Path.Combine(xdg, "torch", "hub", "checkpoints"), WeightCache.Directory);
        }

        using (new EnvironmentScope(("TORCH_HOME", null), ("XDG_CACHE_HOME", null)))
        {
            Assert.Equal(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "torch", "hub", "checkpoints"), WeightCache.Directory);
        }
    }

    [Fact]
    public void A_file_put_in_the_XDG_cache_by_hand_is_used_without_any_request()
    {
        var xdg = Path.Combine(_home, "xdg");
        var placed = Path.Combine(xdg, "torch", "hub", "checkpoints", $"tiny-{_prefix}.pth");
        Directory.CreateDirectory(Path.GetDirectoryName(placed)!);
        File.WriteAllBytes(placed, [1, 2, 3]);
        using var server = new WeightServer(_file);
        using var environment = new EnvironmentScope(("TORCH_HOME", null), ("XDG_CACHE_HOME", xdg), (WeightCache.BaseUrlVariable, server.BaseUrl));

        Assert.Equal(placed, WeightCache.Fetch(Published, _prefix));
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public void Concurrent_callers_end_with_one_intact_file()
    {
        using var server = new WeightServer(_file, chunkDelay: TimeSpan.FromMilliseconds(2));
        using var environment = new EnvironmentScope(("TORCH_HOME", _home), (WeightCache.BaseUrlVariable, server.BaseUrl));
        using var start = new Barrier(4);

        var paths = Enumerable.Range(0, 4).AsParallel().WithDegreeOfParallelism(4)
            .Select(_ =>
            {
                start.SignalAndWait();
                return WeightCache.Fetch(Published, _prefix);
            })
            .ToList();

        Assert.Single(paths.Distinct());
        Assert.Equal(_file, File.ReadAllBytes(paths[0]));
        Assert.Equal([$"tiny-{_prefix}.pth"], Directory.GetFiles(Checkpoints).Select(Path.GetFileName));
    }

    [Fact]
    public void Offline_the_message_names_the_url_the_reason_and_where_to_put_the_file()
    {
        var closed = $"http://127.0.0.1:{FreePort()}/models";
        using var environment = new EnvironmentScope(("TORCH_HOME", _home), (WeightCache.BaseUrlVariable, closed));

        var error = Assert.Throws<WeightDownloadException>(() => WeightCache.Fetch(Published, _prefix));

        Assert.Contains($"{closed}/tiny-{_prefix}.pth", error.Message, StringComparison.Ordinal);
        Assert.Contains("refused", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"Put the file at {Path.Combine(Checkpoints, $"tiny-{_prefix}.pth")} by hand", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Checkpoints));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    /// <summary>Serves one file to any GET on 127.0.0.1, optionally cut short or slowed down, and counts requests.</summary>
    private sealed class WeightServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly byte[] _body;
        private readonly int? _truncateAt;
        private readonly TimeSpan _chunkDelay;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _requests;

        public WeightServer(byte[] body, int? truncateAt = null, TimeSpan chunkDelay = default)
        {
            (_body, _truncateAt, _chunkDelay) = (body, truncateAt, chunkDelay);
            _listener.Start();
            BaseUrl = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/models";
            _loop = Task.Run(ServeAsync);
        }

        public string BaseUrl { get; }

        public int Requests => Volatile.Read(ref _requests);

        public string? LastPath { get; private set; }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            try
            {
                _loop.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // The loop ends with the listener.
            }

            _stop.Dispose();
        }

        private async Task ServeAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(() => AnswerAsync(client));
            }
        }

        private async Task AnswerAsync(TcpClient client)
        {
            using (client)
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, leaveOpen: true);
                var requestLine = await reader.ReadLineAsync();
                while (!string.IsNullOrEmpty(await reader.ReadLineAsync()))
                {
                }

                Interlocked.Increment(ref _requests);
                LastPath = requestLine?.Split(' ')[1];
                var header = System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {_body.Length}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(header);
                var end = _truncateAt ?? _body.Length;
                for (var offset = 0; offset < end; offset += 16_384)
                {
                    await stream.WriteAsync(_body.AsMemory(offset, Math.Min(16_384, end - offset)));
                    if (_chunkDelay > TimeSpan.Zero)
                    {
                        await Task.Delay(_chunkDelay);
                    }
                }

                await stream.FlushAsync();
            }
        }
    }
}
