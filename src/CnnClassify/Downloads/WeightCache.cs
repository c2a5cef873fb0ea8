using System.Net;
using System.Security.Cryptography;

namespace CnnClassify.Downloads;

/// <summary>
/// PyTorch's torch.hub weight cache, shared with PyTorch: <c>$TORCH_HOME/hub/checkpoints</c>, by
/// default <c>$XDG_CACHE_HOME/torch/hub/checkpoints</c> or <c>~/.cache/torch/hub/checkpoints</c>,
/// with the published file names. A file already there is used as it is, offline and unchecked, as
/// torch.hub does; a missing one is downloaded into a temporary file beside it, its SHA-256 checked
/// against the prefix in its name, and renamed into place, so the cache never holds a partial or
/// wrong file, and concurrent downloads of one file end with one intact file.
/// </summary>
public static class WeightCache
{
    /// <summary>The environment variable that replaces the download location (everything before the file name), for mirrors and air-gapped hosts.</summary>
    public const string BaseUrlVariable = "CNNCLASSIFY_WEIGHTS_URL";

    /// <summary>How long and how large a download may be; from <see cref="DownloadLimits.FromEnvironment"/> unless set.</summary>
    public static DownloadLimits Limits { get; set; } = DownloadLimits.FromEnvironment();

    /// <summary>The cache folder, from <c>TORCH_HOME</c>, <c>XDG_CACHE_HOME</c> or the home folder, as torch.hub resolves it.</summary>
    public static string Directory
    {
        get
        {
            var torchHome = Environment.GetEnvironmentVariable("TORCH_HOME");
            if (string.IsNullOrEmpty(torchHome))
            {
                var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
                var cache = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
                torchHome = Path.Combine(cache, "torch");
            }

            return Path.Combine(torchHome, "hub", "checkpoints");
        }
    }

    /// <summary>Where the file published at <paramref name="url"/> lives in the cache (its last segment names it).</summary>
    /// <param name="url">The published address.</param>
    public static string PathFor(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return Path.Combine(Directory, url.Segments[^1]);
    }

    /// <summary>The cached copy of the file at <paramref name="url"/>, downloaded first if it is missing.</summary>
    /// <param name="url">The published address; its last segment names the file in the cache.</param>
    /// <param name="sha256Prefix">Leading hex digits of the file's SHA-256, checked after a download; empty or <see langword="null"/> skips the check.</param>
    /// <param name="progress">Receives download progress; nothing is reported on a cache hit.</param>
    /// <param name="cancellationToken">Stops the download; the partial file is removed.</param>
    /// <returns>The file's path.</returns>
    /// <exception cref="WeightDownloadException">The download failed, was cut short or did not match its hash.</exception>
    public static string Fetch(Uri url, string? sha256Prefix = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Fetch(url, sha256Prefix, progress, Limits.MaxBytes, cancellationToken);

    /// <summary>As <see cref="Fetch(Uri, string?, IProgress{DownloadProgress}?, CancellationToken)"/>, refusing files over <paramref name="maxBytes"/>.</summary>
    internal static string Fetch(Uri url, string? sha256Prefix, IProgress<DownloadProgress>? progress, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        var fileName = url.Segments[^1];
        var directory = Directory;
        var path = Path.Combine(directory, fileName);
        if (File.Exists(path))
        {
            return path;
        }

        var source = Mirror(url, fileName);
        try
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new WeightDownloadException(source, path, $"the cache folder {directory} cannot be created ({ex.Message})", ex);
        }

        RemoveAbandoned(directory, fileName);
        var partial = Path.Combine(directory, $"{fileName}.{Guid.NewGuid():N}.partial");
        try
        {
            var digest = DownloadAsync(source, partial, fileName, maxBytes, progress, cancellationToken).GetAwaiter().GetResult();
            if (!string.IsNullOrEmpty(sha256Prefix) && !digest.StartsWith(sha256Prefix, StringComparison.OrdinalIgnoreCase))
            {
                throw new WeightDownloadException(source, path, $"its SHA-256 {digest} does not start with {sha256Prefix}, the prefix its name promises; the file is corrupt or not the published one");
            }

            if (!File.Exists(path))
            {
                File.Move(partial, path, overwrite: true);
            }

            return path;
        }
        catch (WeightDownloadException)
        {
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TimeoutException or OperationCanceledException or UnauthorizedAccessException)
        {
            throw new WeightDownloadException(source, path, ex.Message.TrimEnd('.'), ex);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private static Uri Mirror(Uri url, string fileName)
    {
        var mirror = Environment.GetEnvironmentVariable(BaseUrlVariable);
        if (string.IsNullOrWhiteSpace(mirror))
        {
            return url;
        }

        return Uri.TryCreate($"{mirror.TrimEnd('/')}/{fileName}", UriKind.Absolute, out var mirrored)
            ? mirrored
            : throw new ArgumentException($"{BaseUrlVariable} is '{mirror}', which is not an absolute URL such as https://mirror.example/models.");
    }

    // A partial file of this name that has not grown for two stall windows belongs to a download
    // that was killed (a live one writes at least once a window or gives up); it is removed.
    private static void RemoveAbandoned(string directory, string fileName)
    {
        var cutoff = DateTime.UtcNow - (2 * Limits.StallWindow);
        // Compared by hand: the name comes from a URL and may hold wildcards.
        foreach (var stale in System.IO.Directory.EnumerateFiles(directory, "*.partial").Where(path => IsPartialOf(Path.GetFileName(path), fileName)))
        {
            try
            {
                if (File.GetLastWriteTimeUtc(stale) < cutoff)
                {
                    File.Delete(stale);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another process is removing it, or it is not ours to remove.
            }
        }
    }

    // NAME.<32 lowercase hex>.partial, as Fetch names its partial files.
    private static bool IsPartialOf(string candidate, string fileName) =>
        candidate.Length == fileName.Length + 1 + 32 + ".partial".Length
        && candidate.StartsWith(fileName + ".", StringComparison.Ordinal)
        && candidate.EndsWith(".partial", StringComparison.Ordinal)
        && candidate.AsSpan(fileName.Length + 1, 32).ToString().All(char.IsAsciiHexDigitLower);

    private static async Task<string> DownloadAsync(Uri source, string partial, string fileName, long maxBytes, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var limits = Limits;
        using var handler = new SocketsHttpHandler { ConnectTimeout = limits.ConnectTimeout };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limits.Deadline);
        HttpResponseMessage response;
        using (var answer = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token))
        {
            answer.CancelAfter(limits.StallWindow);
            try
            {
                response = await client.GetAsync(source, HttpCompletionOption.ResponseHeadersRead, answer.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the server did not answer within {limits.StallWindow.TotalSeconds:F0} s");
            }
        }

        using var disposeResponse = response;
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new IOException($"the server answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        var total = response.Content.Headers.ContentLength;
        if (total > maxBytes)
        {
            throw new IOException($"the server offers {total:N0} bytes, more than the {maxBytes:N0} this file can take");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var body = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
        await using var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        var buffer = new byte[1 << 16];
        long received = 0, reported = 0;
        progress?.Report(new DownloadProgress(fileName, 0, total));

        // A watchdog looks at the bytes every few moments: each window must bring its share of the
        // minimum rate, however the bytes are spread in it, or the download is cut off.
        using var stalled = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        var neededPerWindow = (long)(limits.MinBytesPerSecond * limits.StallWindow.TotalSeconds);
        var window = System.Diagnostics.Stopwatch.StartNew();
        long windowStart = 0, windowBytes = 0;
        string? stallReason = null;
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(limits.StallWindow.TotalMilliseconds / 8, 50, 1000));
        using var watchdog = new Timer(_ =>
        {
            var now = Interlocked.Read(ref received);
            if (window.Elapsed < limits.StallWindow)
            {
                return;
            }

            if (now - windowStart < neededPerWindow)
            {
                windowBytes = now - windowStart;
                stallReason = $"it brought {windowBytes:N0} bytes in {window.Elapsed.TotalSeconds:F0} s, below the minimum of {limits.MinBytesPerSecond:N0} bytes/s, after {now:N0} bytes";
                try
                {
                    stalled.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // A last tick after the download ended.
                }

                return;
            }

            windowStart = now;
            window.Restart();
        }, null, tick, tick);

        while (true)
        {
            int read;
            try
            {
                read = await body.ReadAsync(buffer, stalled.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(stallReason ?? $"the download passed its deadline of {limits.Deadline.TotalMinutes:F0} min after {Interlocked.Read(ref received):N0} bytes");
            }

            if (read == 0)
            {
                break;
            }

            var sofar = Interlocked.Add(ref received, read);
            if (sofar > maxBytes || sofar > (total ?? long.MaxValue))
            {
                throw new IOException($"the server sent more than {Math.Min(maxBytes, total ?? long.MaxValue):N0} bytes, more than {(sofar > maxBytes ? "this file can take" : "it announced")}");
            }

            hash.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            if (sofar - reported >= 1 << 20)
            {
                reported = sofar;
                progress?.Report(new DownloadProgress(fileName, sofar, total));
            }
        }

        if (total is { } expected && received != expected)
        {
            throw new IOException($"the transfer ended after {received:N0} of {expected:N0} bytes");
        }

        await file.FlushAsync(deadline.Token).ConfigureAwait(false);
        file.Flush(flushToDisk: true);
        progress?.Report(new DownloadProgress(fileName, received, total ?? received));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
