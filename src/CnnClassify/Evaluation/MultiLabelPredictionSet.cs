using CnnClassify.Models;
using CnnClassify.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using DataLoader = CnnClassify.Data.DataLoader;

namespace CnnClassify.Evaluation;

/// <summary>
/// A multi-label model's predictions on a whole dataset: every sample's probability per label, its
/// true label set and the labels predicted at the model's thresholds, from which the
/// <see cref="MultiLabelReport"/> and the worst samples follow.
/// </summary>
public sealed class MultiLabelPredictionSet
{
    private readonly float[][] _probabilities;
    private readonly bool[][] _targets;
    private readonly bool[][] _predicted;

    /// <summary>Creates the set.</summary>
    /// <param name="probabilities">Each sample's probability per label.</param>
    /// <param name="targets">Whether each sample has each label.</param>
    /// <param name="indices">Each sample's index in its dataset.</param>
    /// <param name="classNames">The label names.</param>
    /// <param name="thresholds">One decision threshold per label; <see langword="null"/> for 0.5 each.</param>
    /// <exception cref="ArgumentException">The lengths disagree, a row has the wrong width, or a threshold is not in [0, 1].</exception>
    public MultiLabelPredictionSet(IReadOnlyList<float[]> probabilities, IReadOnlyList<bool[]> targets, IReadOnlyList<int> indices, IReadOnlyList<string> classNames, IReadOnlyList<double>? thresholds = null)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(classNames);
        if (probabilities.Count != targets.Count || indices.Count != targets.Count
            || probabilities.Any(r => r.Length != classNames.Count) || targets.Any(r => r.Length != classNames.Count))
        {
            throw new ArgumentException($"Need one row of {classNames.Count} probabilities and targets and one index per sample.", nameof(probabilities));
        }

        if (Inference.TaskNames.CheckThresholds(thresholds, classNames.Count) is { } problem)
        {
            throw new ArgumentException($"The thresholds do not fit: {problem}.", nameof(thresholds));
        }

        var task = ClassificationTask.MultiLabel(thresholds);
        _probabilities = [.. probabilities];
        _targets = [.. targets];
        _predicted = [.. _probabilities.Select(row =>
        {
            var decided = new bool[row.Length];
            foreach (var label in task.Predict(row))
            {
                decided[label] = true;
            }

            return decided;
        })];
        Indices = [.. indices];
        ClassNames = classNames;
        Thresholds = [.. Enumerable.Range(0, classNames.Count).Select(c => thresholds?[c] ?? Inference.TaskNames.DefaultThreshold)];
    }

    /// <summary>The label names.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The decision threshold of each label.</summary>
    public IReadOnlyList<double> Thresholds { get; }

    /// <summary>Dataset index per sample.</summary>
    public IReadOnlyList<int> Indices { get; }

    /// <summary>Samples in the set.</summary>
    public int Count => _probabilities.Length;

    /// <summary>The probability per label of sample <paramref name="i"/> (in evaluation order).</summary>
    /// <param name="i">The position in the set.</param>
    public IReadOnlyList<float> Probabilities(int i) => _probabilities[i];

    /// <summary>The true labels of sample <paramref name="i"/>, in label order.</summary>
    /// <param name="i">The position in the set.</param>
    public IReadOnlyList<int> TrueLabels(int i) => [.. Enumerable.Range(0, ClassNames.Count).Where(c => _targets[i][c])];

    /// <summary>The labels predicted for sample <paramref name="i"/>, in label order.</summary>
    /// <param name="i">The position in the set.</param>
    public IReadOnlyList<int> PredictedLabels(int i) => [.. Enumerable.Range(0, ClassNames.Count).Where(c => _predicted[i][c])];

    /// <summary>
    /// Sample <paramref name="i"/>'s binary cross-entropy, averaged over labels, from its probabilities
    /// (each clamped to [1e-12, 1 - 1e-7]).
    /// </summary>
    /// <param name="i">The position in the set.</param>
    public double Loss(int i)
    {
        double sum = 0;
        for (var c = 0; c < ClassNames.Count; c++)
        {
            var p = Math.Clamp(_probabilities[i][c], 1e-12, 1 - 1e-7);
            sum -= _targets[i][c] ? Math.Log(p) : Math.Log(1 - p);
        }

        return ClassNames.Count == 0 ? 0 : sum / ClassNames.Count;
    }

    /// <summary>The metrics of the predictions.</summary>
    public MultiLabelReport Report() => new(_probabilities, _targets, _predicted, ClassNames);

    /// <summary>The positions of the samples with a wrong label set, by descending <see cref="Loss"/>.</summary>
    /// <param name="count">How many, at least 0.</param>
    public IReadOnlyList<int> TopLosses(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return [.. Enumerable.Range(0, Count).Where(i => !_targets[i].SequenceEqual(_predicted[i])).OrderByDescending(Loss).ThenBy(i => i).Take(count)];
    }

    /// <summary>
    /// Runs a multi-label <paramref name="model"/> in evaluation mode over <paramref name="loader"/>
    /// and collects its probabilities, through the same evaluation path as the trainer's validation
    /// and the predictor, deciding with the thresholds of the model's description.
    /// </summary>
    /// <param name="model">A multi-label classifier.</param>
    /// <param name="loader">The batches of a multi-label dataset, usually unshuffled.</param>
    /// <param name="options">Precision and memory layout; <see langword="null"/> for float32.</param>
    /// <exception cref="ArgumentException">The model's task is not multi-label, or the data is not.</exception>
    public static MultiLabelPredictionSet Collect(ClassificationModel model, DataLoader loader, InferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loader);
        var task = ClassificationTask.For(model.Configuration);
        if (task.Name != Inference.TaskNames.MultiLabel || !loader.Dataset.IsMultiLabel)
        {
            throw new ArgumentException($"A multi-label prediction set needs a multi-label model and data; the model is {task.Name} and the data {(loader.Dataset.IsMultiLabel ? "multi-label" : "single-label")}.", nameof(model));
        }

        var probabilities = new List<float[]>();
        var targets = new List<bool[]>();
        var indices = new List<int>();
        ModelRunner.Evaluate(model, task, loader, ModelRunner.DeviceOf(model), options ?? new InferenceOptions(), (batch, _, _, probs) =>
        {
            var columns = (int)probs.shape[1];
            var values = probs.cpu().data<float>().ToArray();
            var truth = batch.Labels.cpu().data<float>().ToArray();
            for (var r = 0; r < batch.Count; r++)
            {
                probabilities.Add(values.AsSpan(r * columns, columns).ToArray());
                targets.Add([.. truth.AsSpan(r * columns, columns).ToArray().Select(t => t >= 0.5f)]);
            }

            indices.AddRange(batch.Indices);
        });
        return new MultiLabelPredictionSet(probabilities, targets, indices, loader.Dataset.Classes, model.Configuration.Thresholds);
    }
}
