using CnnClassify.Runtime;

namespace CnnClassify.Training;

/// <summary>How <see cref="ThresholdTuning"/> chooses thresholds.</summary>
public enum ThresholdChoice
{
    /// <summary>Each class its own threshold, the one that maximises its F1 on the validation data.</summary>
    PerClassF1,

    /// <summary>One threshold for every class, the one that maximises the micro-averaged F1.</summary>
    GlobalMicroF1,
}

/// <summary>
/// Chooses a multi-label model's decision thresholds on the validation data after every epoch's
/// validation, so that each checkpoint written from then on (<see cref="CheckpointCallback"/>,
/// added after this one) carries the thresholds that fit its weights, and the ONNX export and both
/// predictors apply them. The epoch's validation metrics were counted with the thresholds before.
/// </summary>
public sealed class ThresholdTuning : TrainerCallback
{
    /// <summary>Creates the callback.</summary>
    /// <param name="choice">Per class or one for all.</param>
    public ThresholdTuning(ThresholdChoice choice = ThresholdChoice.PerClassF1) => Choice = choice;

    /// <summary>How thresholds are chosen.</summary>
    public ThresholdChoice Choice { get; }

    /// <summary>The thresholds chosen at the last validation, or <see langword="null"/> before the first.</summary>
    public IReadOnlyList<double>? Thresholds { get; private set; }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The model is not multi-label.</exception>
    public override void OnTrainBegin(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Trainer.Task.Name != Inference.TaskNames.MultiLabel)
        {
            throw new InvalidOperationException($"ThresholdTuning chooses multi-label thresholds, but the model's task is {context.Trainer.Task.Name}.");
        }
    }

    /// <inheritdoc />
    public override void OnValidationEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.ValidationMetrics?.Rows is not { Scores.Count: > 0 } rows)
        {
            return;
        }

        Thresholds = Choice == ThresholdChoice.PerClassF1 ? DecisionThresholds.MaximizeF1PerClass(rows) : DecisionThresholds.MaximizeMicroF1(rows);
        context.Trainer.SetThresholds(Thresholds);
    }
}
