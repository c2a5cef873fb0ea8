using System.Diagnostics;
using System.Globalization;
using CnnClassify.Training;
using Spectre.Console;

namespace CnnClassify.Cli;

/// <summary>
/// Shows training progress: Spectre.Console bars for epochs and batches (with loss, accuracy and
/// images per second) on an interactive terminal, one line per epoch otherwise.
/// </summary>
internal sealed class ConsoleProgress(TextWriter output, int epochs, int batches, int batchSize) : IProgress<TrainingProgress>
{
    private readonly Stopwatch _clock = new();
    private ProgressTask? _epochTask;
    private ProgressTask? _batchTask;

    private bool Interactive => ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;

    public History Run(Func<History> fit)
    {
        if (!Interactive)
        {
            return fit();
        }

        History? history = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                _epochTask = context.AddTask("epochs", maxValue: epochs);
                _batchTask = context.AddTask("batches", maxValue: batches);
                history = fit();
            });
        return history!;
    }

    public void Report(TrainingProgress value)
    {
        if (value.EpochMetrics is { } m)
        {
            var line = string.Create(CultureInfo.InvariantCulture,
                $"epoch {m.Epoch + 1}/{epochs}: loss {m.TrainLoss:F4} acc {m.TrainAccuracy:P2} | val loss {m.ValidationLoss:F4} acc {m.ValidationAccuracy:P2} | lr {m.LearningRate:G3} | {m.SamplesPerSecond:F0} images/s | {m.Seconds:F1} s");
            if (_epochTask is null)
            {
                output.WriteLine(line);
            }
            else
            {
                _epochTask.Value = m.Epoch + 1;
                _epochTask.Description = Markup.Escape($"epoch {m.Epoch + 1}/{epochs} val acc {m.ValidationAccuracy:P1}");
                AnsiConsole.MarkupLine(Markup.Escape(line));
            }

            _clock.Reset();
            return;
        }

        if (_batchTask is null)
        {
            return;
        }

        if (!_clock.IsRunning)
        {
            _clock.Start();
        }

        var rate = value.Batch * batchSize / Math.Max(_clock.Elapsed.TotalSeconds, 1e-6);
        _batchTask.Value = value.Batch;
        _batchTask.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"batch {value.Batch}/{batches} loss {value.Loss:F4} {rate:F0} img/s"));
    }
}
