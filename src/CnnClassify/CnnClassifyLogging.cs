using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CnnClassify;

/// <summary>
/// Where the library's log messages go when a component is not given its own
/// <see cref="ILogger"/>: skipped files, training epochs, LibTorch set-up. Nothing is written
/// to the console by the library itself.
/// </summary>
/// <example><code>CnnClassifyLogging.LoggerFactory = LoggerFactory.Create(b => b.AddConsole());</code></example>
public static class CnnClassifyLogging
{
    /// <summary>The factory the library's default loggers come from; discards everything until set.</summary>
    public static ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>A logger for <typeparamref name="T"/>'s category from <see cref="LoggerFactory"/>.</summary>
    internal static ILogger For<T>() => LoggerFactory.CreateLogger<T>();

    /// <summary>A logger for <paramref name="category"/> from <see cref="LoggerFactory"/>.</summary>
    internal static ILogger For(string category) => LoggerFactory.CreateLogger(category);
}
