namespace CnnClassify.Onnx;

/// <summary>How an <see cref="OnnxPredictor"/> runs.</summary>
public sealed record OnnxPredictorOptions
{
    /// <summary>ONNX Runtime's threads within one operator; <see langword="null"/> for its default (the physical cores).</summary>
    public int? Threads { get; init; }

    /// <summary>Largest width x height of an image accepted, checked from the header before decoding (a decompression-bomb guard).</summary>
    public long MaxPixels { get; init; } = 89_478_485;
}
