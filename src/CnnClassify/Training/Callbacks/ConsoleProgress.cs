using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace CnnClassify.Training;

/// <summary>How <see cref="ConsoleProgress"/> draws.</summary>
public enum ConsoleProgressStyle
{
    /// <summary>A live bar on an interactive terminal; plain lines when output is redirected or the terminal is dumb.</summary>
    Auto,

    /// <summary>A bar redrawn in place after every batch (at most ten times a second), then a line per epoch.</summary>
    Bar,

    /// <summary>One line per epoch only, for logs and CI.</summary>
    Lines,
}

/// <summary>
/// Draws <see cref="TrainingProgress"/> in a terminal, like Keras's progress bar: the epoch, a
/// bar of batches, the running loss, images per second and the time left for the epoch and the
/// run, redrawn in place; then one summary line per epoch. When output is redirected (a file,
/// a pipe, a CI log) it prints only the summary lines.
/// </summary>
/// <example><code>Trainer.For(model).ShowProgress().Build();</code></example>
public sealed class ConsoleProgress : IProgress<TrainingProgress>
{
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);
    private readonly TextWriter _output;
    private readonly Stopwatch _sinceDraw = new();
    private bool _barShown;

    /// <summary>Creates the display.</summary>
    /// <param name="output">Where to write; <see langword="null"/> for the console's standard output.</param>
    /// <param name="style">Bar, lines, or decide from the output.</param>
    public ConsoleProgress(TextWriter? output = null, ConsoleProgressStyle style = ConsoleProgressStyle.Auto)
    {
        _output = output ?? Console.Out;
        DrawsBar = style switch
        {
            ConsoleProgressStyle.Bar => true,
            ConsoleProgressStyle.Lines => false,
            _ => ReferenceEquals(_output, Console.Out) && IsInteractiveTerminal(),
        };
    }

    /// <summary>Whether a live bar is drawn (otherwise only the per-epoch lines).</summary>
    public bool DrawsBar { get; }

    /// <summary>The summary line printed when an epoch ends (accuracy is subset accuracy for a multi-label model, which also shows its validation mAP).</summary>
    /// <param name="metrics">The epoch's metrics.</param>
    /// <param name="epochs">The total epochs.</param>
    public static string EpochLine(EpochMetrics metrics, int epochs)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"epoch {metrics.Epoch + 1}/{epochs}: loss {metrics.TrainLoss:F4} acc {metrics.TrainAccuracy * 100:F2} %");
        if (metrics.ValidationLoss is { } loss)
        {
            text.Append(CultureInfo.InvariantCulture, $" | val loss {loss:F4} acc {metrics.ValidationAccuracy * 100:F2} %");
            if (metrics.ValidationMeanAveragePrecision is { } map)
            {
                text.Append(CultureInfo.InvariantCulture, $" mAP {map:F4}");
            }
        }

        text.Append(CultureInfo.InvariantCulture, $" | lr {metrics.LearningRate:G3} | {metrics.SamplesPerSecond:N0} images/s | {Duration(TimeSpan.FromSeconds(metrics.Seconds))}");
        return text.ToString();
    }

    /// <inheritdoc />
    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.EpochMetrics is { } metrics)
        {
            Clear();
            _output.WriteLine(EpochLine(metrics, value.Epochs));
            _output.Flush();
            return;
        }

        if (!DrawsBar || (_sinceDraw.IsRunning && _sinceDraw.Elapsed < RedrawInterval && value.Batch < value.Batches && !value.Validating))
        {
            return;
        }

        _sinceDraw.Restart();
        var line = BarLine(value, Width());
        _output.Write($"\r\u001b[2K{line}");
        _output.Flush();
        _barShown = true;
    }

    /// <summary>The bar's text for <paramref name="value"/>, at most <paramref name="width"/> characters.</summary>
    internal static string BarLine(TrainingProgress value, int width)
    {
        var head = string.Create(CultureInfo.InvariantCulture, $"epoch {value.Epoch + 1}/{value.Epochs} ");
        var batches = value.Batches.ToString(CultureInfo.InvariantCulture);
        var count = $" {value.Batch.ToString(CultureInfo.InvariantCulture).PadLeft(batches.Length)}/{batches}";
        var loss = value.Validating ? " validating" : string.Create(CultureInfo.InvariantCulture, $" loss {value.AverageLoss:F4}");
        var rate = value.Validating ? string.Empty : string.Create(CultureInfo.InvariantCulture, $" | {value.SamplesPerSecond:N0} img/s");
        var (epochLeft, runLeft) = value.EpochRemaining is { } e && value.RunRemaining is { } r ? (Duration(e), Duration(r)) : (null, null);

        // The richest tail that leaves room for a bar of 10; narrower terminals lose the rate, then the run's time.
        var tails = epochLeft is null
            ? new[] { loss + rate, loss }
            : [$"{loss}{rate} | epoch {epochLeft} left, run {runLeft} left", $"{loss} | epoch {epochLeft} left, run {runLeft} left", $"{loss} | {epochLeft} left"];
        var tail = tails.FirstOrDefault(t => width - head.Length - count.Length - t.Length - 2 >= 10) ?? tails[^1];
        var barWidth = Math.Clamp(width - head.Length - count.Length - tail.Length - 2, 0, 30);
        var filled = value.Batches == 0 ? 0 : (int)Math.Round(barWidth * (double)value.Batch / value.Batches);
        var bar = barWidth < 5 ? string.Empty : $"[{new string('#', filled)}{new string('.', barWidth - filled)}]";
        var line = head + bar + count + tail;
        return line.Length > width ? line[..Math.Max(0, width)] : line;
    }

    /// <summary>A duration as m:ss, or h:mm:ss from an hour.</summary>
    internal static string Duration(TimeSpan time) => time.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalHours}:{time.Minutes:00}:{time.Seconds:00}")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalMinutes}:{time.Seconds:00}");

    private static bool IsInteractiveTerminal() =>
        !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is not ("dumb" or "");

    private static int Width()
    {
        try
        {
            return Console.WindowWidth > 20 ? Console.WindowWidth - 1 : 100;
        }
        catch (IOException)
        {
            return 100;
        }
    }

    private void Clear()
    {
        if (_barShown)
        {
            _output.Write("\r\u001b[2K");
            _barShown = false;
        }
    }
}
