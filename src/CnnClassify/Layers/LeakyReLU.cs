using CnnClassify.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// Leaky ReLU, as PyTorch's <c>LeakyReLU</c>: x for x &gt; 0, else slope * x. The slope is held as
/// one Scalar for the module's life, so no call passes LibTorch a Scalar the finalizer may free.
/// </summary>
public sealed class LeakyReLU : HeldScalarActivation, IOnnxExportable
{
    /// <summary>Creates the activation.</summary>
    /// <param name="negativeSlope">The slope for negative inputs, at least 0.</param>
    public LeakyReLU(double negativeSlope = 0.01)
        : base(nameof(LeakyReLU), negativeSlope) => NegativeSlope = negativeSlope;

    /// <summary>The slope for negative inputs.</summary>
    public double NegativeSlope { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => input.leaky_relu(Setting);

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input) => graph.Node("LeakyRelu", [input.Name], path, ("alpha", NegativeSlope));
}
