namespace CnnClassify.Evaluation;

/// <summary>What a normalised confusion matrix divides by, as scikit-learn's <c>normalize</c> argument.</summary>
public enum NormalizeOver
{
    /// <summary>Each row by its total: the share of each true class predicted as each class.</summary>
    True,

    /// <summary>Each column by its total: the share of each prediction that was each true class.</summary>
    Predicted,

    /// <summary>Every cell by the number of samples.</summary>
    All,
}
