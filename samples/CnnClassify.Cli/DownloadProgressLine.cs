using System.Globalization;
using CnnClassify.Downloads;

namespace CnnClassify.Cli;

/// <summary>
/// Shows a weight download on standard error, so that results on standard output stay clean: a
/// bar redrawn in place on a terminal, one line at the end when redirected.
/// </summary>
internal sealed class DownloadProgressLine : IProgress<DownloadProgress>
{
    private readonly TextWriter _output = Console.Error;
    private readonly bool _interactive = !Console.IsErrorRedirected;

    public void Report(DownloadProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var done = value.TotalBytes is { } total && value.BytesReceived >= total;
        var size = value.TotalBytes is { } t ? $"{Megabytes(value.BytesReceived)} of {Megabytes(t)} MB" : $"{Megabytes(value.BytesReceived)} MB";
        var bar = value.TotalBytes is { } all && all > 0 ? $"[{new string('#', (int)(30 * value.BytesReceived / all)),-30}] " : "";
        var line = $"downloading {value.FileName} {bar}{size}";
        if (_interactive)
        {
            _output.Write($"\r{line}");
            if (done)
            {
                _output.WriteLine();
            }
        }
        else if (done)
        {
            _output.WriteLine(line);
        }
    }

    private static string Megabytes(long bytes) => (bytes / 1e6).ToString("F1", CultureInfo.InvariantCulture);
}
