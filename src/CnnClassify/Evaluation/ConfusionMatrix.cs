using System.Globalization;
using System.Text;

namespace CnnClassify.Evaluation;

/// <summary>
/// Counts of (true class, predicted class) pairs: row <c>t</c>, column <c>p</c> counts samples of
/// class <c>t</c> predicted as <c>p</c>, as scikit-learn's <c>confusion_matrix</c>.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[,] _counts;

    /// <summary>Counts the pairs.</summary>
    /// <param name="targets">True class per sample.</param>
    /// <param name="predictions">Predicted class per sample.</param>
    /// <param name="classNames">The class names; their count fixes the matrix size.</param>
    /// <exception cref="ArgumentException">The lists differ in length, or a class is out of range.</exception>
    public ConfusionMatrix(IReadOnlyList<int> targets, IReadOnlyList<int> predictions, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(classNames);
        if (targets.Count != predictions.Count)
        {
            throw new ArgumentException($"{targets.Count} targets but {predictions.Count} predictions.", nameof(predictions));
        }

        var n = classNames.Count;
        _counts = new long[n, n];
        for (var i = 0; i < targets.Count; i++)
        {
            if ((uint)targets[i] >= (uint)n || (uint)predictions[i] >= (uint)n)
            {
                throw new ArgumentException($"Sample {i} has target {targets[i]} and prediction {predictions[i]}; classes are 0 to {n - 1}.", nameof(targets));
            }

            _counts[targets[i], predictions[i]]++;
        }

        ClassNames = classNames;
    }

    /// <summary>The class names, in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The number of classes.</summary>
    public int Size => ClassNames.Count;

    /// <summary>Samples of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    /// <param name="actual">True class.</param>
    /// <param name="predicted">Predicted class.</param>
    public long this[int actual, int predicted] => _counts[actual, predicted];

    /// <summary>The number of samples.</summary>
    public long Total => _counts.Cast<long>().Sum();

    /// <summary>
    /// The matrix normalised as scikit-learn's <c>normalize</c>: <c>true</c> divides each row by
    /// its total (recall on the diagonal), <c>pred</c> each column (precision on the diagonal),
    /// <c>all</c> by the grand total. Empty rows or columns give zeros.
    /// </summary>
    /// <param name="over">What to divide by.</param>
    public double[,] Normalized(NormalizeOver over = NormalizeOver.True)
    {
        var result = new double[Size, Size];
        var total = (double)Total;
        for (var t = 0; t < Size; t++)
        {
            for (var p = 0; p < Size; p++)
            {
                var denominator = over switch
                {
                    NormalizeOver.True => RowTotal(t),
                    NormalizeOver.Predicted => ColumnTotal(p),
                    _ => total,
                };
                result[t, p] = denominator == 0 ? 0 : _counts[t, p] / denominator;
            }
        }

        return result;
    }

    /// <summary>Samples whose true class is <paramref name="actual"/> (the class's support).</summary>
    /// <param name="actual">The class.</param>
    public long RowTotal(int actual) => Enumerable.Range(0, Size).Sum(p => _counts[actual, p]);

    /// <summary>Samples predicted as <paramref name="predicted"/>.</summary>
    /// <param name="predicted">The class.</param>
    public long ColumnTotal(int predicted) => Enumerable.Range(0, Size).Sum(t => _counts[t, predicted]);

    /// <summary>
    /// fastai's <c>most_confused</c>: the off-diagonal cells with at least <paramref name="minCount"/>
    /// samples, most first (ties in class order), each as the true class, the class predicted and
    /// the count.
    /// </summary>
    /// <param name="minCount">The fewest mistakes a pair needs to be listed, at least 1.</param>
    public IReadOnlyList<ConfusedPair> MostConfused(int minCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        var pairs = new List<ConfusedPair>();
        for (var t = 0; t < Size; t++)
        {
            for (var p = 0; p < Size; p++)
            {
                if (t != p && _counts[t, p] >= minCount)
                {
                    pairs.Add(new ConfusedPair(ClassNames[t], ClassNames[p], _counts[t, p], _counts[t, p] / (double)Math.Max(1, RowTotal(t))));
                }
            }
        }

        return [.. pairs.OrderByDescending(pair => pair.Count)];
    }

    /// <summary>A text table: true classes down, predicted classes across.</summary>
    public override string ToString()
    {
        var width = Math.Max(ClassNames.Max(n => n.Length), _counts.Cast<long>().Max().ToString(CultureInfo.InvariantCulture).Length) + 2;
        var text = new StringBuilder(new string(' ', width));
        foreach (var name in ClassNames)
        {
            text.Append(name.PadLeft(width));
        }

        text.AppendLine();
        for (var t = 0; t < Size; t++)
        {
            text.Append(ClassNames[t].PadLeft(width));
            for (var p = 0; p < Size; p++)
            {
                text.Append(_counts[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(width));
            }

            text.AppendLine();
        }

        return text.ToString();
    }
}

/// <summary>Samples of one class predicted as another.</summary>
/// <param name="Actual">The true class.</param>
/// <param name="Predicted">The class predicted.</param>
/// <param name="Count">How many samples.</param>
/// <param name="ShareOfActual">Their share of the true class's samples.</param>
public readonly record struct ConfusedPair(string Actual, string Predicted, long Count, double ShareOfActual);
