using System.Text.Json.Nodes;
using CnnClassify.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// Stops training once the monitored metric has gone <see cref="Patience"/> epochs without
/// improving by more than <see cref="MinDelta"/> (as Keras and Lightning count). With <see cref="RestoreBestWeights"/>,
/// the model ends with the weights of its best epoch however training ends: by this callback, by
/// running out of epochs, or by an exception.
/// </summary>
/// <remarks>
/// The best weights are kept in memory. After resuming from a checkpoint, when the best epoch
/// came before the checkpoint, they are read back from the <c>best.ckpt</c> of a
/// <see cref="CheckpointCallback"/> that monitors the same metric.
/// </remarks>
public sealed class EarlyStopping : TrainerCallback, IMonitorsMetric
{
    private Dictionary<string, Tensor>? _bestWeights;

    /// <summary>Creates the callback.</summary>
    /// <param name="patience">Epochs without improvement that stop training, at least 1 (0 acts as 1).</param>
    /// <param name="monitor">The metric; losses are minimised, accuracies maximised.</param>
    /// <param name="minDelta">The smallest absolute change that counts as an improvement, at least 0.</param>
    /// <param name="restoreBestWeights">Whether to put the best epoch's weights back at the end.</param>
    public EarlyStopping(int patience = 5, Metric monitor = Metric.ValidationLoss, double minDelta = 0, bool restoreBestWeights = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(minDelta);
        (Patience, Monitor, MinDelta, RestoreBestWeights) = (patience, monitor, minDelta, restoreBestWeights);
    }

    /// <summary>Epochs without improvement that stop training.</summary>
    public int Patience { get; }

    /// <inheritdoc />
    public Metric Monitor { get; }

    /// <summary>The smallest change that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>Whether the best epoch's weights are restored at the end.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>The best value seen, or <see langword="null"/> before the first epoch.</summary>
    public double? BestValue { get; private set; }

    /// <summary>The epoch of the best value.</summary>
    public int? BestEpoch { get; private set; }

    /// <summary>Epochs since the last improvement.</summary>
    public int EpochsWithoutImprovement { get; private set; }

    /// <summary>The epoch after which this callback stopped training, if it did.</summary>
    public int? StoppedEpoch { get; private set; }

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var metrics = context.EpochMetrics!;
        var value = metrics.Value(Monitor);
        var improved = BestValue is not { } best
            || (Monitor.IsMaximised() ? value > best + MinDelta : value < best - MinDelta);
        if (improved)
        {
            (BestValue, BestEpoch, EpochsWithoutImprovement) = (value, metrics.Epoch, 0);
            if (RestoreBestWeights)
            {
                KeepWeights(context.Trainer.Model);
            }

            return;
        }

        if (++EpochsWithoutImprovement >= Math.Max(1, Patience))
        {
            StoppedEpoch = metrics.Epoch;
            context.StopTraining = true;
            context.StopReason = $"{Monitor} did not improve for {EpochsWithoutImprovement} epochs (best {BestValue} at epoch {BestEpoch}).";
        }
    }

    /// <inheritdoc />
    public override void OnTrainEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!RestoreBestWeights)
        {
            return;
        }

        if (_bestWeights is null)
        {
            var saved = context.Trainer.Callbacks.OfType<CheckpointCallback>().FirstOrDefault(c => c.SaveBest && c.Monitor == Monitor && File.Exists(c.BestPath));
            if (BestEpoch is not null && saved is not null)
            {
                Checkpoint.LoadModel(saved.BestPath, context.Trainer.Model);
            }

            return;
        }

        using var noGrad = torch.no_grad();
        foreach (var (name, tensor) in context.Trainer.Model.state_dict())
        {
            tensor.copy_(_bestWeights[name]);
        }
    }

    /// <inheritdoc />
    public override JsonObject SaveState() => new()
    {
        ["best_value"] = BestValue,
        ["best_epoch"] = BestEpoch,
        ["epochs_without_improvement"] = EpochsWithoutImprovement,
    };

    /// <inheritdoc />
    public override void LoadState(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        BestValue = JsonNumbers.Read(state["best_value"]);
        BestEpoch = state["best_epoch"]?.GetValue<int>();
        EpochsWithoutImprovement = state["epochs_without_improvement"]!.GetValue<int>();
    }

    private void KeepWeights(nn.Module model)
    {
        var state = model.state_dict();
        if (_bestWeights is null)
        {
            _bestWeights = state.ToDictionary(pair => pair.Key, pair => pair.Value.detach().clone().DetachFromDisposeScope());
            return;
        }

        using var noGrad = torch.no_grad();
        foreach (var (name, tensor) in state)
        {
            _bestWeights[name].copy_(tensor);
        }
    }
}
