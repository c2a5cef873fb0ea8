
namespace CnnClassify.Downloads;

/// <summary>A weight file could not be downloaded or failed its check; nothing was left in the cache.</summary>
public sealed class WeightDownloadException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="url">The address that was tried.</param>
    /// <param name="cachePath">Where the file belongs; the user may put it there by hand.</param>
    /// <param name="reason">What went wrong.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public WeightDownloadException(Uri url, string cachePath, string reason, Exception? inner = null)
        : base($"Could not get weights from {url}: {reason}. Put the file at {cachePath} by hand (PyTorch's torch.hub uses the same place), or set {WeightCache.BaseUrlVariable} to a mirror that serves it.", inner)
    {
        Url = url;
        CachePath = cachePath;
        Reason = reason;
    }

    /// <summary>The address that was tried.</summary>
    public Uri Url { get; }

    /// <summary>Where the file belongs in the cache.</summary>
    public string CachePath { get; }

    /// <summary>What went wrong, without the advice.</summary>
    public string Reason { get; }
}
