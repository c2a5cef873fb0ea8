namespace CnnClassify.Models;

/// <summary>What an <see cref="Ensemble"/> averages.</summary>
public enum EnsembleAveraging
{
    /// <summary>The members' logits; the ensemble outputs logits.</summary>
    Logits,

    /// <summary>The members' softmax probabilities; the ensemble outputs probabilities.</summary>
    Probabilities,
}
