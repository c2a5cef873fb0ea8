namespace CnnClassify.Runtime;

/// <summary>How test-time augmentation combines the views of one image.</summary>
public enum TestTimeAveraging
{
    /// <summary>The weighted mean of each view's probabilities (fastai's and timm's default).</summary>
    Probabilities,

    /// <summary>The weighted mean of each view's logits, then the task's activation (softmax or sigmoid).</summary>
    Logits,
}
