namespace CnnClassify.Inference;

/// <summary>The prediction for one image: the most probable class and every class's probability.</summary>
public sealed class Prediction
{
    internal Prediction(string source, IReadOnlyList<string> classNames, double[] probabilities, int? classIndex = null)
    {
        Source = source;
        ClassNames = classNames;
        Probabilities = probabilities;
        ClassIndex = classIndex ?? Array.IndexOf(probabilities, probabilities.Max());
    }

    /// <summary>The image's path or name.</summary>
    public string Source { get; }

    /// <summary>The most probable class's index.</summary>
    public int ClassIndex { get; }

    /// <summary>The most probable class's name.</summary>
    public string ClassName => ClassNames[ClassIndex];

    /// <summary>The most probable class's probability.</summary>
    public double Confidence => Probabilities[ClassIndex];

    /// <summary>Every class's probability, in label order; they sum to 1.</summary>
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
