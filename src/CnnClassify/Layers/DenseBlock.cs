using CnnClassify.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// A DenseNet block: <c>layers</c> <see cref="DenseLayer"/>s, each fed the concatenation of the
/// block's input and every earlier layer's output; the block returns all of them concatenated,
/// <c>inChannels + layers * growthRate</c> channels. Layers are named <c>denselayer1</c>,
/// <c>denselayer2</c>, ... as in torchvision.
/// </summary>
public sealed class DenseBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly List<DenseLayer> _layers = [];

    /// <summary>Creates the block.</summary>
    /// <param name="layers">Number of dense layers, at least 1.</param>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="growthRate">Channels each layer adds.</param>
    /// <param name="bottleneckSize">Bottleneck width as a multiple of the growth rate.</param>
    /// <param name="dropRate">Dropout in each layer while training.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public DenseBlock(int layers, long inChannels, long growthRate, long bottleneckSize = 4, double dropRate = 0)
        : base(nameof(DenseBlock))
    {
        LayerArguments.Positive(layers, nameof(layers));
        for (var i = 0; i < layers; i++)
        {
            var layer = new DenseLayer(inChannels + (i * growthRate), growthRate, bottleneckSize, dropRate);
            _layers.Add(layer);
            register_module($"denselayer{i + 1}", layer);
        }

        OutChannels = inChannels + (layers * growthRate);
    }

    /// <summary>Channels of the block's output.</summary>
    public long OutChannels { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var features = new List<Tensor> { input };
        foreach (var layer in _layers)
        {
            features.Add(layer.call(torch.cat(features, dim: 1)));
        }

        return torch.cat(features, dim: 1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var features = new List<OnnxValue> { input };
        for (var i = 0; i < _layers.Count; i++)
        {
            var joined = Join(graph, features, path);
            features.Add(graph.Apply(_layers[i], OnnxGraph.Child(path, $"denselayer{i + 1}"), joined));
        }

        return Join(graph, features, path).Name;
    }

    // The concatenation of the features so far, with its sample for the next layer.
    private static OnnxValue Join(OnnxGraph graph, List<OnnxValue> features, string path) => features.Count == 1
        ? features[0]
        : new OnnxValue(graph.Node("Concat", [.. features.Select(f => f.Name)], path, ("axis", 1L)), (torch.cat(features.Select(f => f.Sample).ToArray(), dim: 1)));
}
