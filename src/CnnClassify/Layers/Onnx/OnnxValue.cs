using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// A value of the ONNX graph being written: its name, and what the TorchSharp module computed for
/// it on the exporter's one-image sample, so that a layer can read its input's shape (an adaptive
/// pool's window, for example) the way its forward pass sees it.
/// </summary>
/// <param name="Name">The value's name in the graph.</param>
/// <param name="Sample">The value for a batch of one sample image; owned by the exporter.</param>
public sealed record OnnxValue(string Name, Tensor Sample);
