using System.Net;
using System.Security.Cryptography;
using CnnClassify.Models;

namespace CnnClassify.Interop;

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

    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(60);

    private static readonly HttpClient Client = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(30) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

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

    /// <summary>Where the file of <paramref name="weights"/> lives in the cache.</summary>
    /// <param name="weights">A catalogue entry.</param>
    public static string PathFor(PretrainedWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Path.Combine(Directory, weights.FileName);
    }

    /// <summary>Whether the file of <paramref name="weights"/> is in the cache.</summary>
    /// <param name="weights">A catalogue entry.</param>
    public static bool IsCached(PretrainedWeights weights) => File.Exists(PathFor(weights));

    /// <summary>The cached file of <paramref name="weights"/>, downloaded first if it is missing.</summary>
    /// <param name="weights">A catalogue entry.</param>
    /// <param name="progress">Receives download progress; nothing is reported on a cache hit.</param>
    /// <param name="cancellationToken">Stops the download; the partial file is removed.</param>
    /// <returns>The file's path.</returns>
    /// <exception cref="WeightDownloadException">The download failed, was cut short or did not match its hash; the message names the URL, the reason and the path to fill by hand.</exception>
    public static string Fetch(PretrainedWeights weights, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Fetch(weights.Url, weights.Sha256Prefix, progress, cancellationToken);
    }

    /// <summary>The cached copy of the file at <paramref name="url"/>, downloaded first if it is missing.</summary>
    /// <param name="url">The published address; its last segment names the file in the cache.</param>
    /// <param name="sha256Prefix">Leading hex digits of the file's SHA-256, checked after a download; empty or <see langword="null"/> skips the check.</param>
    /// <param name="progress">Receives download progress; nothing is reported on a cache hit.</param>
    /// <param name="cancellationToken">Stops the download; the partial file is removed.</param>
    /// <returns>The file's path.</returns>
    /// <exception cref="WeightDownloadException">The download failed, was cut short or did not match its hash.</exception>
    public static string Fetch(Uri url, string? sha256Prefix = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
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

        var partial = Path.Combine(directory, $"{fileName}.{Guid.NewGuid():N}.partial");
        try
        {
            var digest = DownloadAsync(source, partial, fileName, progress, cancellationToken).GetAwaiter().GetResult();
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

    private static async Task<string> DownloadAsync(Uri source, string partial, string fileName, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        using var response = await Client.GetAsync(source, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new IOException($"the server answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        var total = response.Content.Headers.ContentLength;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        var buffer = new byte[1 << 16];
        long received = 0, reported = 0;
        progress?.Report(new DownloadProgress(fileName, 0, total));
        while (true)
        {
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stall.CancelAfter(ReadTimeout);
            int read;
            try
            {
                read = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no data for {ReadTimeout.TotalSeconds:F0} s after {received:N0} bytes");
            }

            if (read == 0)
            {
                break;
            }

            hash.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            received += read;
            if (received - reported >= 1 << 20)
            {
                reported = received;
                progress?.Report(new DownloadProgress(fileName, received, total));
            }
        }

        if (total is { } expected && received != expected)
        {
            throw new IOException($"the transfer ended after {received:N0} of {expected:N0} bytes");
        }

        await file.FlushAsync(cancellationToken).ConfigureAwait(false);
        file.Flush(flushToDisk: true);
        progress?.Report(new DownloadProgress(fileName, received, total ?? received));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
