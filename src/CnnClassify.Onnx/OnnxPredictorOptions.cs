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

    /// <summary>Largest width x height of an image accepted, checked from the header before decoding (a decompression-bomb guard).</summary>
    public long MaxPixels { get; init; } = 89_478_485;
}
