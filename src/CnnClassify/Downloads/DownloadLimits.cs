using System.Globalization;

namespace CnnClassify.Downloads;

/// <summary>
/// How long and how large a weight download may be before <see cref="WeightCache"/> gives up: a
/// connect timeout, a wait for the server's answer, a minimum rate over each stall window (so that
/// a server sending a byte now and then cannot keep a download alive), an overall deadline, and a
/// size cap from the catalogue's parameter count.
/// </summary>
public sealed record DownloadLimits
{
    /// <summary>The environment variable that sets <see cref="StallWindow"/> (and the answer wait) in seconds, for slow links.</summary>
    public const string StallSecondsVariable = "CNNCLASSIFY_DOWNLOAD_STALL_SECONDS";

    /// <summary>Longest wait for a connection: 30 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The window over which the rate is measured, and the longest wait for the server's answer
    /// (connecting included): 60 s, or <see cref="StallSecondsVariable"/>.
    /// </summary>
    public TimeSpan StallWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Fewest bytes per second, averaged over each <see cref="StallWindow"/>: 16 KiB/s.</summary>
    public long MinBytesPerSecond { get; init; } = 16 * 1024;

    /// <summary>Longest a whole download may take: 2 hours.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromHours(2);

    /// <summary>Largest file taken when the catalogue gives no size to expect: 4 GiB.</summary>
    public long MaxBytes { get; init; } = 4L << 30;

    /// <summary>The defaults, with <see cref="StallSecondsVariable"/> applied when it holds a number of seconds from 1 to 3600.</summary>
    public static DownloadLimits FromEnvironment()
    {
        var limits = new DownloadLimits();
        var text = Environment.GetEnvironmentVariable(StallSecondsVariable);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 1 and <= 3600
            ? limits with { StallWindow = TimeSpan.FromSeconds(seconds) }
            : limits;
    }

    /// <summary>
    /// The most bytes a published file of <paramref name="parameters"/> float32 parameters may
    /// take: the parameters, a quarter more for buffers (batch-norm statistics) and the pickle, and
    /// 4 MiB; <see cref="MaxBytes"/> when the count is unknown.
    /// </summary>
    /// <param name="parameters">The catalogue's parameter count, or 0.</param>
    public long MaxBytesFor(long parameters) =>
        parameters > 0 ? Math.Min(MaxBytes, (parameters * 5) + (4L << 20)) : MaxBytes;
}
