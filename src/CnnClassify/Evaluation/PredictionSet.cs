using CnnClassify.Models;
using CnnClassify.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using DataLoader = CnnClassify.Data.DataLoader;

namespace CnnClassify.Evaluation;

/// <summary>
/// A model's predictions on a whole dataset: every sample's class probabilities and target, from
/// which accuracy, top-k accuracy, the confusion matrix, the classification report and the top
/// losses follow.
/// </summary>
public sealed class PredictionSet
{
    private readonly float[][] _probabilities;

    /// <summary>Creates the set from probabilities and targets.</summary>
    /// <param name="probabilities">One row of class probabilities per sample.</param>
    /// <param name="targets">The true class per sample.</param>
    /// <param name="indices">Each sample's index in its dataset.</param>
    /// <param name="classNames">The class names.</param>
    /// <exception cref="ArgumentException">The lengths disagree or a row has the wrong width.</exception>
    public PredictionSet(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> targets, IReadOnlyList<int> indices, IReadOnlyList<string> classNames)
        : this(probabilities, targets, indices, classNames, ClassificationTask.SingleLabel)
    {
    }

    /// <summary>Collects the predictions of a model trained for <paramref name="task"/>, which says which class each row predicts.</summary>
    /// <param name="probabilities">Each sample's class probabilities.</param>
    /// <param name="targets">Each sample's true class.</param>
    /// <param name="indices">Each sample's index in its dataset.</param>
    /// <param name="classNames">The class names.</param>
    /// <param name="task">The model's task.</param>
    /// <exception cref="ArgumentException">The lengths disagree or a row has the wrong width.</exception>
    public PredictionSet(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> targets, IReadOnlyList<int> indices, IReadOnlyList<string> classNames, ClassificationTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        Task = task;
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(classNames);
        if (probabilities.Count != targets.Count || indices.Count != targets.Count || probabilities.Any(row => row.Length != classNames.Count))
        {
            throw new ArgumentException($"Need one probability row of {classNames.Count} classes, one target and one index per sample.", nameof(probabilities));
        }

        _probabilities = [.. probabilities];
        Targets = [.. targets];
        Indices = [.. indices];
        ClassNames = classNames;
        Samples = Enumerable.Range(0, _probabilities.Length).Select(i =>
        {
            var row = _probabilities[i];
            var predicted = task.Predict(row)[0];
            return new SamplePrediction(Indices[i], Targets[i], predicted, row[predicted], -Math.Log(Math.Max(row[Targets[i]], 1e-12)));
        }).ToList();
    }

    /// <summary>The class names.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The task of the model that made the predictions.</summary>
    public ClassificationTask Task { get; }

    /// <summary>True class per sample.</summary>
    public IReadOnlyList<int> Targets { get; }

    /// <summary>Dataset index per sample.</summary>
    public IReadOnlyList<int> Indices { get; }

    /// <summary>Per-sample outcome, in evaluation order.</summary>
    public IReadOnlyList<SamplePrediction> Samples { get; }

    /// <summary>Class probabilities of sample <paramref name="i"/> (in evaluation order).</summary>
    /// <param name="i">The position in <see cref="Samples"/>.</param>
    public IReadOnlyList<float> Probabilities(int i) => _probabilities[i];

    /// <summary>Share of samples whose top class is the target; NaN for an empty set.</summary>
    public double Accuracy => TopKAccuracy(1);

    /// <summary>
    /// Share of samples whose target is among the <paramref name="k"/> most probable classes (fewer
    /// than <paramref name="k"/> classes more probable, so ties count); NaN for an empty set.
    /// </summary>
    /// <param name="k">At least 1.</param>
    public double TopKAccuracy(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (Samples.Count == 0)
        {
            return double.NaN;
        }

        var hits = 0;
        for (var i = 0; i < _probabilities.Length; i++)
        {
            var target = _probabilities[i][Targets[i]];
            var better = _probabilities[i].Count(p => p > target);
            hits += better < k ? 1 : 0;
        }

        return (double)hits / Samples.Count;
    }

    /// <summary>The confusion matrix of targets against top predictions.</summary>
    public ConfusionMatrix ConfusionMatrix() => new(Targets, Samples.Select(s => s.Predicted).ToList(), ClassNames);

    /// <summary>Per-class precision, recall, F1 and support with averages.</summary>
    public ClassificationReport Report() => new(ConfusionMatrix());

    /// <summary>The most confidently wrong samples: misclassified ones by descending loss.</summary>
    /// <param name="count">How many, at least 0.</param>
    public IReadOnlyList<SamplePrediction> TopLosses(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Samples.Where(s => s.Predicted != s.Target).OrderByDescending(s => s.Loss).Take(count).ToList();
    }

    /// <summary>
    /// Runs <paramref name="model"/> in evaluation mode over <paramref name="loader"/> and collects its
    /// probabilities, through the same evaluation path as the trainer's validation and the predictor
    /// (an ensemble that averages probabilities is taken as it is).
    /// </summary>
    /// <param name="model">A classifier producing logits, or an <see cref="Models.Ensemble"/>.</param>
    /// <param name="loader">The batches, usually unshuffled.</param>
    /// <param name="classNames">The class names; <see langword="null"/> uses the loader's dataset's.</param>
    /// <param name="options">Precision and memory layout; <see langword="null"/> for float32.</param>
    public static PredictionSet Collect(nn.Module<Tensor, Tensor> model, DataLoader loader, IReadOnlyList<string>? classNames = null, InferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loader);
        var probabilities = new List<float[]>();
        var targets = new List<int>();
        var indices = new List<int>();
        var task = (model as ClassificationModel)?.Configuration is { } configuration ? ClassificationTask.For(configuration) : ClassificationTask.SingleLabel;
        if (task.Name != Inference.TaskNames.SingleLabel)
        {
            throw new ArgumentException($"The model is {task.Name}; collect its predictions with MultiLabelPredictionSet.Collect.", nameof(model));
        }

        ModelRunner.Evaluate(model, task, loader, ModelRunner.DeviceOf(model), options ?? new InferenceOptions(), (batch, labels, _, probs) =>
        {
            var rows = probs.cpu();
            var columns = (int)rows.shape[1];
            var values = rows.data<float>().ToArray();
            for (var r = 0; r < batch.Count; r++)
            {
                probabilities.Add(values.AsSpan(r * columns, columns).ToArray());
            }

            targets.AddRange(batch.Labels.data<long>().ToArray().Select(l => (int)l));
            indices.AddRange(batch.Indices);
        });
        return new PredictionSet(probabilities, targets, indices, classNames ?? loader.Dataset.Classes, task);
    }
}
