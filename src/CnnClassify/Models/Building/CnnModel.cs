using CnnClassify.Export;
using CnnClassify.Layers;
using CnnClassify.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// A model made by <see cref="CnnBuilder"/>: a sequence of named layers that knows its input shape
/// and its own architecture, so that a checkpoint can rebuild it. It is a
/// <see cref="ClassificationModel"/>, so it freezes, unfreezes and takes per-stage learning rates
/// like the zoo's models; its state-dict keys are the layer names (<c>conv1.weight</c>, ...).
/// </summary>
/// <remarks>
/// The head is the last <c>Dense</c> layer. The stages are the runs of layers before it that end
/// where the resolution drops (a pooling or strided layer) or the sample becomes a vector
/// (<c>Flatten</c>, global pooling); stages without parameters are left out. They are named
/// <c>stage1</c>, <c>stage2</c>, ... from the input.
/// </remarks>
public sealed class CnnModel : ClassificationModel, IOnnxExportable
{
    private readonly (string Name, nn.Module<Tensor, Tensor> Module)[] _layers;
    private readonly string? _headName;

    internal CnnModel(SampleShape inputShape, IReadOnlyList<LayerDefinition> layers, (string Name, nn.Module<Tensor, Tensor> Module)[] modules, CnnArchitecture architecture)
        : base(nameof(CnnModel))
    {
        InputShape = inputShape;
        Layers = layers;
        Architecture = architecture;
        _layers = modules;
        foreach (var (name, module) in modules)
        {
            register_module(name, module);
        }

        var headIndex = Array.FindLastIndex(modules, layer => layer.Module is Linear);
        _headName = headIndex >= 0 ? modules[headIndex].Name : null;
        Stages = FindStages(layers, modules, headIndex < 0 ? modules.Length : headIndex);
        var output = layers[^1].OutputShape;
        Configuration = new ModelConfiguration
        {
            Layers = architecture,
            NumClasses = output.Rank == 1 ? (int)output.Channels : 1,
            InChannels = inputShape.Rank is 1 or 3 ? (int)inputShape.Channels : 1,
            InputHeight = inputShape.IsImage ? (int)inputShape.Height : 0,
            InputWidth = inputShape.IsImage ? (int)inputShape.Width : 0,
        };
    }

    /// <summary>The shape of one input sample; batches are <c>[N, ..InputShape]</c>.</summary>
    public SampleShape InputShape { get; }

    /// <summary>The shape of one output sample, such as <c>10</c> for ten class logits.</summary>
    public SampleShape OutputShape => Layers[^1].OutputShape;

    /// <summary>The layers, in order, with their names and shapes.</summary>
    public IReadOnlyList<LayerDefinition> Layers { get; private set; }

    /// <summary>The builder calls that made this model, which <see cref="CnnBuilder.FromArchitecture"/> repeats.</summary>
    public CnnArchitecture Architecture { get; private set; }

    /// <summary>The last <c>Dense</c> layer's name.</summary>
    /// <exception cref="InvalidOperationException">The model has no <c>Dense</c> layer.</exception>
    public override string HeadName => _headName ?? throw new InvalidOperationException("This CnnBuilder model has no Dense layer to act as its head.");

    /// <inheritdoc />
    public override IReadOnlyList<ModelStage> Stages { get; }

    /// <inheritdoc />
    public override long NumClasses => _headName is null ? OutputShape.ElementCount : base.NumClasses;

    /// <summary>The module of layer <paramref name="index"/>, counted from 0.</summary>
    /// <param name="index">The layer's position.</param>
    public nn.Module<Tensor, Tensor> this[int index] => _layers[index].Module;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = input;
        foreach (var (_, module) in _layers)
        {
            x = module.call(x);
        }

        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Summarises the model for one input sample: per-layer output shapes, parameters and MACs, and totals.</summary>
    /// <param name="depth">How many levels of nested modules get a row; 1 lists the top-level layers.</param>
    /// <returns>The summary; its <see cref="ModelSummary.ToString"/> is a printable table.</returns>
    public ModelSummary Summary(int depth = 1) => ModelSummary.Create(this, InputShape, depth);

    /// <inheritdoc />
    public override void ReplaceModule(string path, nn.Module<Tensor, Tensor> replacement)
    {
        var linear = AsHeadReplacement(path, replacement);
        var index = Array.FindIndex(_layers, layer => layer.Name == path);
        _layers[index] = (path, linear);
        ReRegister(path, linear);
        var outFeatures = linear.out_features;
        var layers = Layers.ToList();
        layers[index] = layers[index] with { OutputShape = SampleShape.Vector(outFeatures) };
        var specs = Architecture.Layers.ToList();
        if (specs[index].Layer is LinearLayer)
        {
            specs[index] = specs[index] with { Layer = new LinearLayer(outFeatures, linear.bias is not null) };
        }

        Layers = layers;
        Architecture = Architecture with { Layers = specs };
        Configuration = Configuration with { Layers = Architecture };
    }

    private static List<ModelStage> FindStages(IReadOnlyList<LayerDefinition> layers, (string Name, nn.Module<Tensor, Tensor> Module)[] modules, int end)
    {
        var stages = new List<ModelStage>();
        var current = new List<string>();
        var hasParameters = false;
        void Close()
        {
            if (hasParameters)
            {
                stages.Add(new ModelStage($"stage{stages.Count + 1}", [.. current]));
            }

            current.Clear();
            hasParameters = false;
        }

        for (var i = 0; i < end; i++)
        {
            current.Add(modules[i].Name);
            hasParameters |= modules[i].Module.parameters().Any();
            var (input, output) = (layers[i].InputShape, layers[i].OutputShape);
            var reduces = input.Rank != output.Rank || (input.IsImage && output.IsImage && output.Height * output.Width < input.Height * input.Width);
            if (reduces)
            {
                Close();
            }
        }

        Close();
        return stages;
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var x = input;
        foreach (var (name, module) in _layers)
        {
            x = graph.Apply(module, OnnxGraph.Child(path, name), x);
        }

        return x.Name;
    }
}
