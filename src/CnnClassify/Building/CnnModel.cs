using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Building;

/// <summary>
/// A model made by <see cref="CnnBuilder"/>: a sequence of named layers that knows its input shape.
/// It is a TorchSharp <see cref="Sequential"/>, so it trains, saves and moves between devices like any module.
/// </summary>
public sealed class CnnModel : Sequential
{
    internal CnnModel(SampleShape inputShape, IReadOnlyList<LayerDefinition> layers, (string Name, nn.Module<Tensor, Tensor> Module)[] modules)
        : base(modules)
    {
        InputShape = inputShape;
        Layers = layers;
    }

    /// <summary>The shape of one input sample; batches are <c>[N, ..InputShape]</c>.</summary>
    public SampleShape InputShape { get; }

    /// <summary>The shape of one output sample, such as <c>10</c> for ten class logits.</summary>
    public SampleShape OutputShape => Layers[^1].OutputShape;

    /// <summary>The layers, in order, with their names and shapes.</summary>
    public IReadOnlyList<LayerDefinition> Layers { get; }

    /// <summary>Summarises the model for one input sample: per-layer output shapes, parameters and MACs, and totals.</summary>
    /// <param name="depth">How many levels of nested modules get a row; 1 lists the top-level layers.</param>
    /// <returns>The summary; its <see cref="ModelSummary.ToString"/> is a printable table.</returns>
    public ModelSummary Summary(int depth = 1) => ModelSummary.Create(this, InputShape, depth);
}
