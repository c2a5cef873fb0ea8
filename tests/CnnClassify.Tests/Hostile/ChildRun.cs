using System.Diagnostics;
using System.Text;

namespace CnnClassify.Tests.Hostile;

/// <summary>How a program run as a child process ended.</summary>
/// <param name="ExitCode">Its exit code; -1 when it was killed.</param>
/// <param name="Output">What it wrote to standard output.</param>
/// <param name="Error">What it wrote to standard error.</param>
/// <param name="Elapsed">Wall-clock time until it ended.</param>
/// <param name="PeakResidentBytes">The most resident memory seen while it ran (sampled).</param>
/// <param name="KilledFor">Why it was killed (time or memory), or <see langword="null"/>.</param>
internal sealed record ChildResult(int ExitCode, string Output, string Error, TimeSpan Elapsed, long PeakResidentBytes, string? KilledFor)
{
    /// <summary>The lines of standard error that are not empty.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() =>
        $"exit {ExitCode}{(KilledFor is null ? "" : $", killed for {KilledFor}")}, {Elapsed.TotalSeconds:F1} s, peak {PeakResidentBytes / 1e6:F0} MB\nstdout: {Output}\nstderr: {Error}";
}

/// <summary>
/// Runs a .NET program of the test's output folder (the CLI, the ONNX sample) in a child process
/// under a time limit and a memory cap: its resident memory is sampled from /proc every few
/// milliseconds, and the process is killed when either is passed.
/// </summary>
internal static class ChildRun
{
    /// <summary>The time limit every hostile input must end within.</summary>
    public static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(30);

    /// <summary>The memory cap every hostile input must stay under: 1 GiB resident.</summary>
    public const long MemoryCap = 1L << 30;

    /// <summary>Runs <paramref name="assembly"/> (a file name in the test's output folder) with <paramref name="arguments"/>.</summary>
    public static ChildResult Run(string assembly, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, Action<Process>? whileRunning = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (error) { error.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        long peak = 0;
        string? killedFor = null;
        using var watcher = Task.Run(() => whileRunning?.Invoke(process));
        while (!process.WaitForExit(10))
        {
            peak = Math.Max(peak, ResidentBytes(process.Id));
            killedFor = peak > MemoryCap ? $"memory ({peak / 1e6:F0} MB)" : clock.Elapsed > TimeLimit ? $"time ({clock.Elapsed.TotalSeconds:F0} s)" : null;
            if (killedFor is not null)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                break;
            }
        }

        process.WaitForExit();
        lock (output)
        {
            lock (error)
            {
                return new ChildResult(killedFor is null ? process.ExitCode : -1, output.ToString(), error.ToString(), clock.Elapsed, peak, killedFor);
            }
        }
    }

    // VmRSS from /proc/PID/status, in bytes; 0 once the process is gone.
    private static long ResidentBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}
