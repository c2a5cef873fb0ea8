namespace CnnClassify.Onnx;

/// <summary>How an <see cref="OnnxPredictor"/> runs.</summary>
public sealed record OnnxPredictorOptions
{
    /// <summary>ONNX Runtime's threads within one operator; <see langword="null"/> for its default (the physical cores).</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// Whether ONNX Runtime's threads spin while waiting for work between operators; <see langword="null"/>
    /// for its default (they spin). Spinning shortens one call a little and burns CPU between calls,
    /// which a server needs for reading and decoding requests: <c>cnnclassify serve</c> turns it off.
    /// </summary>
    public bool? AllowSpinning { get; init; }

    /// <summary>How far ONNX Runtime rewrites the graph when it loads it; <see cref="OnnxGraphOptimization.All"/> by default.</summary>
    public OnnxGraphOptimization GraphOptimization { get; init; } = OnnxGraphOptimization.All;

    /// <summary>
    /// A folder where the graph ONNX Runtime makes of the model is kept, so that later loads skip
    /// the rewriting (<see langword="null"/>, the default, keeps nothing). An entry is named by the
    /// model's bytes, the optimization level, ONNX Runtime's version and the CPU's instruction sets,
    /// so a changed model or another machine gets its own. Not used for models with external data.
    /// </summary>
    public string? OptimizedModelCache { get; init; }

    /// <summary>
    /// Test-time augmentation: the views of each image run in the same batch and their
    /// probabilities are averaged (their logits with <see cref="AverageLogits"/>), as the LibTorch
    /// predictor's flip, five-crop and ten-crop. <see cref="OnnxTestTimeViews.None"/> by default.
    /// </summary>
    public OnnxTestTimeViews TestTimeViews { get; init; }

    /// <summary>Whether test-time views average their logits instead of their probabilities.</summary>
    public bool AverageLogits { get; init; }

    /// <summary>Largest width x height of an image accepted, checked from the header before decoding (a decompression-bomb guard).</summary>
    public long MaxPixels { get; init; } = 89_478_485;
}
