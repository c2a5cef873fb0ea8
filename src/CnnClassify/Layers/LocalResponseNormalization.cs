using CnnClassify.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// Local response normalisation across channels, in the form of the AlexNet paper
/// (Krizhevsky et al., 2012): <c>b[c] = a[c] / (k + alpha * sum(a[j]^2))^beta</c>, where the sum runs
/// over the <see cref="Size"/> channels centred on <c>c</c>.
/// </summary>
/// <remarks>
/// PyTorch's <c>nn.LocalResponseNorm</c> divides alpha by the window size; this layer does not,
/// so <c>LocalResponseNormalization(n, alpha, beta, k)</c> equals PyTorch's
/// <c>LocalResponseNorm(n, alpha * n, beta, k)</c>. It has no parameters.
/// </remarks>
public sealed class LocalResponseNormalization : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    /// <summary>Creates the layer; the defaults are the AlexNet paper's.</summary>
    /// <param name="size">Number of neighbouring channels summed over, at least 1 (the paper: 5).</param>
    /// <param name="alpha">Scale of the sum of squares (the paper: 1e-4).</param>
    /// <param name="beta">Exponent (the paper: 0.75).</param>
    /// <param name="k">Additive constant (the paper: 2).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public LocalResponseNormalization(long size = 5, double alpha = 1e-4, double beta = 0.75, double k = 2.0)
        : base(nameof(LocalResponseNormalization))
    {
        Validate(size, alpha, beta, k);
        Size = size;
        Alpha = alpha;
        Beta = beta;
        K = k;
    }

    /// <summary>Number of neighbouring channels summed over.</summary>
    public long Size { get; }

    /// <summary>Scale of the sum of squares, as in the paper (not divided by <see cref="Size"/>).</summary>
    public double Alpha { get; }

    /// <summary>Exponent.</summary>
    public double Beta { get; }

    /// <summary>Additive constant.</summary>
    public double K { get; }

    /// <summary>Checks the constructor's arguments.</summary>
    internal static void Validate(long size, double alpha, double beta, double k)
    {
        LayerArguments.Positive(size, nameof(size));
        if (!double.IsFinite(alpha) || alpha < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be a finite number >= 0.");
        }

        if (!double.IsFinite(beta))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be finite.");
        }

        if (!double.IsFinite(k) || k <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, "k must be a finite number > 0.");
        }
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) =>
        nn.functional.local_response_norm(input, Size, Alpha * Size, Beta, K);

    /// <inheritdoc />
    public override string ToString() => $"LocalResponseNormalization(size={Size}, alpha={Alpha}, beta={Beta}, k={K})";

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input) =>
        // ONNX's LRN divides its alpha by the size, as the functional form this layer calls does.
        graph.Node("LRN", [input.Name], path, ("size", Size), ("alpha", Alpha * Size), ("beta", Beta), ("bias", K));
}
