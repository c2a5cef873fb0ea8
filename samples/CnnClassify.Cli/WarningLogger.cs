using Microsoft.Extensions.Logging;

namespace CnnClassify.Cli;

/// <summary>Writes the library's warnings and errors as <c>warning: ...</c> lines, and counts them.</summary>
internal sealed class WarningLogger(TextWriter output) : ILogger
{
    /// <summary>Warnings written so far.</summary>
    public int Count { get; private set; }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (IsEnabled(logLevel))
        {
            Count++;
            output.WriteLine($"warning: {Inference.TerminalText.Escape(formatter(state, exception))}");
        }
    }
}
