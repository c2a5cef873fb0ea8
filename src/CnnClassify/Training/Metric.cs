namespace CnnClassify.Training;

/// <summary>A quantity recorded each epoch, which schedules, early stopping and checkpoints can monitor.</summary>
public enum Metric
{
    /// <summary>Mean training loss (minimised).</summary>
    TrainLoss,

    /// <summary>Training top-1 accuracy (maximised).</summary>
    TrainAccuracy,

    /// <summary>Mean validation loss (minimised).</summary>
    ValidationLoss,

    /// <summary>Validation top-1 accuracy (maximised).</summary>
    ValidationAccuracy,

    /// <summary>Validation top-5 accuracy (maximised).</summary>
    ValidationTop5Accuracy,

    /// <summary>Validation mean average precision of a multi-label model (maximised).</summary>
    ValidationMeanAveragePrecision,

    /// <summary>Validation micro-averaged F1 of a multi-label model at its thresholds (maximised).</summary>
    ValidationMicroF1,

    /// <summary>Validation macro-averaged F1 of a multi-label model at its thresholds (maximised).</summary>
    ValidationMacroF1,

    /// <summary>Validation samples-averaged F1 of a multi-label model at its thresholds (maximised).</summary>
    ValidationSamplesF1,

    /// <summary>Validation Hamming loss of a multi-label model at its thresholds (minimised).</summary>
    ValidationHammingLoss,
}
