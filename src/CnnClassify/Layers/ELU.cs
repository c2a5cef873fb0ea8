using CnnClassify.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// ELU, as PyTorch's <c>ELU</c>: x for x &gt; 0, else alpha * (exp(x) - 1). Its Scalars are held
/// for the module's life, so no call passes LibTorch a Scalar the finalizer may free.
/// </summary>
public sealed class ELU : HeldScalarActivation, IOnnxExportable
{
    /// <summary>Creates the activation.</summary>
    /// <param name="alpha">The saturation value for negative inputs, above 0.</param>
    public ELU(double alpha = 1.0)
        : base(nameof(ELU), alpha) => Alpha = alpha;

    /// <summary>The saturation value for negative inputs.</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => input.elu(Setting, HeldScalars.One, HeldScalars.One);

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input) => graph.Node("Elu", [input.Name], path, ("alpha", Alpha));
}
