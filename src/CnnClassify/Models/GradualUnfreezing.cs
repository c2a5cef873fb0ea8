namespace CnnClassify.Models;

/// <summary>
/// Unfreezes a model's stages one at a time from the output side as epochs pass, as in ULMFiT:
/// the head trains alone first, then each earlier stage joins.
/// </summary>
public sealed class GradualUnfreezing
{
    private readonly ClassificationModel _model;

    /// <summary>Freezes the backbone of <paramref name="model"/> and prepares the schedule.</summary>
    /// <param name="model">The model.</param>
    /// <param name="epochsPerStage">Epochs between unfreezing one stage and the next, at least 1.</param>
    public GradualUnfreezing(ClassificationModel model, int epochsPerStage = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochsPerStage, 1);
        _model = model;
        EpochsPerStage = epochsPerStage;
        model.FreezeBackbone();
    }

    /// <summary>Epochs between unfreezing one stage and the next.</summary>
    public int EpochsPerStage { get; }

    /// <summary>Stages currently unfrozen, counted from the output side.</summary>
    public int UnfrozenStages { get; private set; }

    /// <summary>Unfreezes as many stages as epoch <paramref name="epoch"/> calls for.</summary>
    /// <param name="epoch">The zero-based epoch about to start.</param>
    /// <returns>Whether the set of trainable parameters changed, in which case the optimizer must be given the new ones.</returns>
    public bool OnEpochStart(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        var wanted = Math.Min(_model.Stages.Count, epoch / EpochsPerStage);
        if (wanted == UnfrozenStages)
        {
            return false;
        }

        UnfrozenStages = wanted;
        _model.UnfreezeLastStages(wanted);
        return true;
    }
}
