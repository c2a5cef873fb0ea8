using System.Globalization;
using System.Text.Json.Nodes;
using CnnClassify.Serialization;

namespace CnnClassify.Training;

/// <summary>
/// Saves checkpoints (see <see cref="Checkpoint"/>) into a folder: <c>best.ckpt</c> whenever the
/// monitored metric improves, <c>last.ckpt</c> after every epoch, and <c>epoch-NNNN.ckpt</c>
/// every <see cref="EveryEpochs"/> epochs. Each file is written atomically.
/// </summary>
public sealed class CheckpointCallback : TrainerCallback, IMonitorsMetric
{
    /// <summary>Creates the callback.</summary>
    /// <param name="directory">The folder; created if missing.</param>
    /// <param name="monitor">The metric that decides the best checkpoint.</param>
    /// <param name="saveBest">Whether to keep <c>best.ckpt</c>.</param>
    /// <param name="saveLast">Whether to keep <c>last.ckpt</c>.</param>
    /// <param name="everyEpochs">Also keep a numbered checkpoint every this many epochs; 0 for none.</param>
    public CheckpointCallback(string directory, Metric monitor = Metric.ValidationLoss, bool saveBest = true, bool saveLast = true, int everyEpochs = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfNegative(everyEpochs);
        (Directory, Monitor, SaveBest, SaveLast, EveryEpochs) = (directory, monitor, saveBest, saveLast, everyEpochs);
    }

    /// <summary>The folder checkpoints go to.</summary>
    public string Directory { get; }

    /// <inheritdoc />
    public Metric Monitor { get; }

    /// <summary>Whether <c>best.ckpt</c> is kept.</summary>
    public bool SaveBest { get; }

    /// <summary>Whether <c>last.ckpt</c> is kept.</summary>
    public bool SaveLast { get; }

    /// <summary>Epochs between numbered checkpoints; 0 for none.</summary>
    public int EveryEpochs { get; }

    /// <summary>The best monitored value so far.</summary>
    public double? BestValue { get; private set; }

    /// <summary>Path of <c>best.ckpt</c>.</summary>
    public string BestPath => Path.Combine(Directory, "best.ckpt");

    /// <summary>Path of <c>last.ckpt</c>.</summary>
    public string LastPath => Path.Combine(Directory, "last.ckpt");

    /// <summary>Removes the temporary files that a killed earlier run left beside its two checkpoints, and no others.</summary>
    /// <param name="context">The training state.</param>
    public override void OnTrainBegin(TrainingContext context) => Serialization.AtomicFile.RemoveStale(LastPath, BestPath);

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Trainer.IsMainProcess)
        {
            return;
        }

        var metrics = context.EpochMetrics!;
        System.IO.Directory.CreateDirectory(Directory);
        if (SaveBest)
        {
            var value = metrics.Value(Monitor);
            if (BestValue is not { } best || (Monitor.IsMaximised() ? value > best : value < best))
            {
                context.Trainer.SaveCheckpoint(BestPath);
                BestValue = value;
            }
        }

        if (SaveLast)
        {
            context.Trainer.SaveCheckpoint(LastPath);
        }

        if (EveryEpochs > 0 && (metrics.Epoch + 1) % EveryEpochs == 0)
        {
            context.Trainer.SaveCheckpoint(Path.Combine(Directory, $"epoch-{(metrics.Epoch + 1).ToString("D4", CultureInfo.InvariantCulture)}.ckpt"));
        }
    }

    /// <inheritdoc />
    public override JsonObject SaveState() => new() { ["best_value"] = BestValue };

    /// <summary>Restores the best value, unless this folder has no <c>best.ckpt</c> (resuming into a new folder), in which case the next epoch writes one.</summary>
    /// <param name="state">The saved state.</param>
    public override void LoadState(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        BestValue = File.Exists(BestPath) ? JsonNumbers.Read(state["best_value"]) : null;
    }
}
