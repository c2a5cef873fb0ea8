using CnnClassify.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// Reorders a tensor's dimensions, such as [N, C, H, W] to [N, H, W, C] with
/// <c>new Permute(0, 2, 3, 1)</c>, so that a <c>LayerNorm</c> or <c>Linear</c> can act on the
/// channels of each pixel, as in the ConvNeXt block. It has no parameters.
/// </summary>
public sealed class Permute : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly long[] _order;

    /// <summary>Creates the layer.</summary>
    /// <param name="order">The new order of the dimensions, a permutation of 0 to rank − 1.</param>
    /// <exception cref="ArgumentException"><paramref name="order"/> is not a permutation.</exception>
    public Permute(params long[] order)
        : base(nameof(Permute))
    {
        ArgumentNullException.ThrowIfNull(order);
        if (order.Length == 0 || !order.Order().SequenceEqual(Enumerable.Range(0, order.Length).Select(i => (long)i)))
        {
            throw new ArgumentException($"[{string.Join(", ", order)}] is not a permutation of the dimensions 0 to {order.Length - 1}.", nameof(order));
        }

        _order = [.. order];
    }

    /// <summary>The new order of the dimensions.</summary>
    public IReadOnlyList<long> Order => _order;

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => input.permute(_order);

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input) =>
        graph.Node("Transpose", [input.Name], path, ("perm", _order));
}
