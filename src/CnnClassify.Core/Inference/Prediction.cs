namespace CnnClassify.Inference;

/// <summary>
/// The prediction for one image: the predicted classes (<see cref="Labels"/>: the most probable
/// class for a single-label model, every class at or above its threshold for a multi-label one)
/// and every class's probability.
/// </summary>
public sealed class Prediction
{
    internal Prediction(string source, IReadOnlyList<string> classNames, double[] probabilities, int? classIndex = null)
        : this(source, classNames, probabilities, [classIndex ?? Array.IndexOf(probabilities, probabilities.Max())])
    {
    }

    internal Prediction(string source, IReadOnlyList<string> classNames, double[] probabilities, IReadOnlyList<int> predicted)
    {
        Source = source;
        ClassNames = classNames;
        Probabilities = probabilities;
        ClassIndex = Array.IndexOf(probabilities, probabilities.Max());
        Labels = predicted.Select(i => new ClassProbability(classNames[i], i, probabilities[i])).ToList();
    }

    /// <summary>
    /// The predicted classes with their probabilities, most probable first: one for a single-label
    /// model; for a multi-label model every class at or above its threshold, possibly none.
    /// </summary>
    public IReadOnlyList<ClassProbability> Labels { get; }

    /// <summary>The image's path or name.</summary>
    public string Source { get; }

    /// <summary>The most probable class's index.</summary>
    public int ClassIndex { get; }

    /// <summary>The most probable class's name.</summary>
    public string ClassName => ClassNames[ClassIndex];

    /// <summary>The most probable class's probability.</summary>
    public double Confidence => Probabilities[ClassIndex];

    /// <summary>Every class's probability, in label order; they sum to 1 for a single-label model, each is its own sigmoid for a multi-label one.</summary>
    public IReadOnlyList<double> Probabilities { get; }

    /// <summary>The class names, in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The <paramref name="k"/> most probable classes, most probable first.</summary>
    /// <param name="k">At least 1; more than the classes gives all of them.</param>
    public IReadOnlyList<ClassProbability> TopK(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        return Probabilities.Select((p, i) => new ClassProbability(ClassNames[i], i, p))
            .OrderByDescending(c => c.Probability).ThenBy(c => c.Index).Take(k).ToList();
    }
}
