using CnnClassify.Export;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// One layer of a DenseNet block (Huang et al., 2017): BatchNorm, ReLU, a 1x1 bottleneck
/// convolution, BatchNorm, ReLU and a 3x3 convolution that produces <c>growthRate</c> new
/// channels. Submodules are named <c>norm1</c>, <c>relu1</c>, <c>conv1</c>, <c>norm2</c>,
/// <c>relu2</c> and <c>conv2</c>, as in torchvision.
/// </summary>
public sealed class DenseLayer : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    [ComponentName(Name = "norm1")]
    private readonly BatchNorm2d _norm1;
    [ComponentName(Name = "relu1")]
    private readonly ReLU _relu1;
    [ComponentName(Name = "conv1")]
    private readonly Conv2d _conv1;
    [ComponentName(Name = "norm2")]
    private readonly BatchNorm2d _norm2;
    [ComponentName(Name = "relu2")]
    private readonly ReLU _relu2;
    [ComponentName(Name = "conv2")]
    private readonly Conv2d _conv2;
    private readonly double _dropRate;

    /// <summary>Creates the layer.</summary>
    /// <param name="inChannels">Channels of the concatenated input, at least 1.</param>
    /// <param name="growthRate">New channels this layer produces (DenseNet-121: 32).</param>
    /// <param name="bottleneckSize">Bottleneck width as a multiple of the growth rate (DenseNet: 4).</param>
    /// <param name="dropRate">Dropout after the 3x3 convolution while training, in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public DenseLayer(long inChannels, long growthRate, long bottleneckSize = 4, double dropRate = 0)
        : base(nameof(DenseLayer))
    {
        LayerArguments.Positive(inChannels, nameof(inChannels));
        LayerArguments.Positive(growthRate, nameof(growthRate));
        LayerArguments.Positive(bottleneckSize, nameof(bottleneckSize));
        LayerArguments.Probability(dropRate, nameof(dropRate));
        var width = bottleneckSize * growthRate;
        _norm1 = new BatchNorm2d(inChannels);
        _relu1 = nn.ReLU();
        _conv1 = nn.Conv2d(inChannels, width, 1, bias: false);
        _norm2 = new BatchNorm2d(width);
        _relu2 = nn.ReLU();
        _conv2 = nn.Conv2d(width, growthRate, 3, padding: 1, bias: false);
        _dropRate = dropRate;
        RegisterComponents();
    }

    /// <summary>Computes the new channels from the concatenation of all earlier feature maps.</summary>
    /// <param name="input">The concatenated feature maps, [N, inChannels, H, W].</param>
    /// <returns>The new feature maps, [N, growthRate, H, W].</returns>
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var bottleneck = _conv1.call(_relu1.call(_norm1.call(input)));
        var output = _conv2.call(_relu2.call(_norm2.call(bottleneck)));
        if (_dropRate > 0)
        {
            output = nn.functional.dropout(output, _dropRate, training);
        }

        return output.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        var x = graph.Apply(_conv1, OnnxGraph.Child(path, "conv1"), graph.Apply(_relu1, OnnxGraph.Child(path, "relu1"), graph.Apply(_norm1, OnnxGraph.Child(path, "norm1"), input)));
        return graph.Apply(_conv2, OnnxGraph.Child(path, "conv2"), graph.Apply(_relu2, OnnxGraph.Child(path, "relu2"), graph.Apply(_norm2, OnnxGraph.Child(path, "norm2"), x))).Name;
    }
}
