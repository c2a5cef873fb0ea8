namespace CnnClassify.Models;

/// <summary>
/// Thrown while a model is being built when a layer cannot accept the shape that reaches it.
/// The message names the layer's index and type, the incoming shape and the reason, for example
/// <c>layer 7 MaxPool2d(2): input 128x1x1 would shrink to 0x0</c>.
/// </summary>
public sealed class LayerShapeException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="layerIndex">Zero-based index of the layer in the model.</param>
    /// <param name="layer">The layer's description, such as <c>MaxPool2d(2)</c>.</param>
    /// <param name="inputShape">The shape that reaches the layer.</param>
    /// <param name="reason">Why the layer cannot accept it, completing "input SHAPE ...".</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public LayerShapeException(int layerIndex, string layer, SampleShape inputShape, string reason, Exception? innerException = null)
        : base($"layer {layerIndex} {layer}: input {inputShape} {reason}", innerException)
    {
        LayerIndex = layerIndex;
        Layer = layer;
        InputShape = inputShape;
        Reason = reason;
    }

    /// <summary>Zero-based index of the layer in the model.</summary>
    public int LayerIndex { get; }

    /// <summary>The layer's description, such as <c>MaxPool2d(2)</c>.</summary>
    public string Layer { get; }

    /// <summary>The shape that reaches the layer.</summary>
    public SampleShape InputShape { get; }

    /// <summary>Why the layer cannot accept the shape.</summary>
    public string Reason { get; }
}
