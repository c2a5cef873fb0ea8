using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// Combines several classifiers by a weighted average of their logits or probabilities. Members
/// are registered as <c>0</c>, <c>1</c>, ... and must output the same shape, [N, classes].
/// </summary>
public sealed class Ensemble : nn.Module<Tensor, Tensor>
{
    private readonly List<nn.Module<Tensor, Tensor>> _members;
    private readonly double[] _weights;

    /// <summary>Creates the ensemble.</summary>
    /// <param name="members">The models, at least one.</param>
    /// <param name="averaging">Whether to average logits or softmax probabilities.</param>
    /// <param name="weights">Non-negative weight per member, not all zero; <see langword="null"/> weighs them equally. They are normalised to sum to 1.</param>
    /// <exception cref="ArgumentException">There are no members, or the weights do not match them.</exception>
    public Ensemble(IEnumerable<nn.Module<Tensor, Tensor>> members, EnsembleAveraging averaging = EnsembleAveraging.Probabilities, IReadOnlyList<double>? weights = null)
        : base(nameof(Ensemble))
    {
        ArgumentNullException.ThrowIfNull(members);
        _members = members.ToList();
        if (_members.Count == 0)
        {
            throw new ArgumentException("An ensemble needs at least one member.", nameof(members));
        }

        weights ??= Enumerable.Repeat(1.0, _members.Count).ToList();
        if (weights.Count != _members.Count || weights.Any(w => !double.IsFinite(w) || w < 0) || weights.Sum() <= 0)
        {
            throw new ArgumentException($"Give one finite, non-negative weight per member ({_members.Count}), not all zero; got [{string.Join(", ", weights)}].", nameof(weights));
        }

        var total = weights.Sum();
        _weights = weights.Select(w => w / total).ToArray();
        Averaging = averaging;
        for (var i = 0; i < _members.Count; i++)
        {
            register_module(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (nn.Module)_members[i]);
        }
    }

    /// <summary>Whether logits or probabilities are averaged, and so what the ensemble outputs.</summary>
    public EnsembleAveraging Averaging { get; }

    /// <summary>The members' normalised weights.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        Tensor? sum = null;
        for (var i = 0; i < _members.Count; i++)
        {
            var output = _members[i].call(input);
            if (Averaging == EnsembleAveraging.Probabilities)
            {
                output = output.softmax(-1);
            }

            using var weight = _weights[i].ToScalar();
            var weighted = output.mul(weight);
            sum = sum is null ? weighted : sum.add_(weighted, HeldScalars.One);
        }

        return sum!.MoveToOuterDisposeScope();
    }
}
