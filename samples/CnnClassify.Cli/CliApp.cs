using System.CommandLine;
using CnnClassify.Inference;
using CnnClassify.Models;

namespace CnnClassify.Cli;

/// <summary>
/// The <c>cnnclassify</c> command line: <c>summary</c>, <c>train</c>, <c>evaluate</c>, <c>predict</c>,
/// <c>explain</c>, <c>export</c>, <c>weights</c>, <c>doctor</c> and <c>serve</c>.
/// Exit codes: 0 success, 2 usage error, 1 runtime failure. Errors are one line unless <c>--verbose</c>.
/// </summary>
public static class CliApp
{
    /// <summary>Runs the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Where results go.</param>
    /// <param name="error">Where errors go.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var verbose = new Option<bool>("--verbose") { Description = "Show stack traces on errors.", Recursive = true };
        var root = new RootCommand("Train, evaluate and run CNN image classifiers.")
        {
            SummaryCommand.Create(output),
            TrainCommand.Create(output),
            TrainCommand.Create(output, rangeTest: true),
            EvaluateCommand.Create(output),
            PredictCommand.Create(output),
            ExplainCommand.Create(output),
            ExportCommand.Create(output),
            WeightsCommand.Create(output),
            DoctorCommand.Create(output),
            ServeCommand.Create(output),
            AuditCommand.Create(output),
        };
        root.Options.Add(verbose);

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var problems = string.Join(" ", parse.Errors.Select(e => OneLine(e.Message)).Distinct());
            await error.WriteLineAsync($"error: {problems} See 'cnnclassify --help'.").ConfigureAwait(false);
            return 2;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            await error.WriteLineAsync($"error: {Printable(OneLine(ex.Message))}").ConfigureAwait(false);
            return 2;
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C: whatever was under way has cleaned up after itself (a download removes its partial file).
            await error.WriteLineAsync("cancelled.").ConfigureAwait(false);
            return 130;
        }
        catch (Exception ex)
        {
            // One path for every failure: the library's, LibTorch's (whose messages carry a C++
            // backtrace after the first line), the runtime's (overflow, memory) and aggregates of them.
            var failure = ex is AggregateException { InnerExceptions.Count: > 0 } aggregate ? aggregate.InnerExceptions[0] : ex;
            var message = failure is System.Runtime.InteropServices.ExternalException or OutOfMemoryException or InsufficientExecutionStackException
                ? $"{failure.GetType().Name}: {failure.Message.Split('\n')[0].Trim()}"
                : OneLine(failure.Message);
            var text = parse.GetValue(verbose) ? ex.ToString() : $"error: {Printable(message)}";
            await error.WriteLineAsync(text).ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>Text from files made safe for a terminal, line by line (see <see cref="TerminalText"/>).</summary>
    internal static string Printable(string text) =>
        string.Join("\n", text.Split('\n').Select(TerminalText.Escape));

    /// <summary>
    /// Checks <paramref name="size"/> against the model's smallest input and the largest any model
    /// takes, as a usage error naming <paramref name="option"/>.
    /// </summary>
    internal static void CheckImageSize(string model, int? size, string option)
    {
        if (size is { } side && side < ModelZoo.MinimumImageSize(model))
        {
            throw new UsageException($"{option} must be at least {ModelZoo.MinimumImageSize(model)} for {model} (and at most {ModelLimits.MaxInputSide:N0}); got {side}.");
        }
    }

    /// <summary>A message on one line: .NET puts an argument's actual value on a line of its own.</summary>
    private static string OneLine(string message) => string.Join(" ", message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The <c>--out</c> folder, refused when a file stands in its place.</summary>
    internal static string OutputFolder(string directory) =>
        File.Exists(directory) ? throw new IOException($"--out '{directory}' is a file; give a folder for the outputs.") : directory;

    /// <summary>Parses a comma-separated list of numbers.</summary>
    internal static double[] Numbers(string? text, string option) =>
        string.IsNullOrWhiteSpace(text) ? []
        : text.Split(',').Select(part => double.TryParse(part, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"{option} expects comma-separated numbers such as 0.485,0.456,0.406; got '{text}'.")).ToArray();
}
