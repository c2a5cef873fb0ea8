using CnnClassify.Export;
using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// Inception v3's auxiliary classifier, <c>AuxLogits</c>: a 5x5 stride-3 average pool, a 1x1
/// <see cref="ConvBlock"/> to 128 channels (<c>conv0</c>), a 5x5 one to 768 (<c>conv1</c>), global
/// average pooling and a linear layer (<c>fc</c>). It reads the 17x17 map of <c>Mixed_6e</c> and
/// takes part only in training.
/// </summary>
public sealed class InceptionV3AuxiliaryHead : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "conv0")]
    private readonly ConvBlock _conv0;
    [ComponentName(Name = "conv1")]
    private readonly ConvBlock _conv1;
    [ComponentName(Name = "fc")]
    private Linear _fc;

    /// <summary>Creates the head.</summary>
    /// <param name="inChannels">Channels of the map it reads: 768.</param>
    /// <param name="numClasses">Classes it predicts.</param>
    public InceptionV3AuxiliaryHead(long inChannels, int numClasses)
        : base(nameof(InceptionV3AuxiliaryHead))
    {
        _conv0 = new ConvBlock(inChannels, 128, 1, batchNormEps: 1e-3);
        _conv1 = new ConvBlock(128, 768, 5, padding: 0, batchNormEps: 1e-3);
        _fc = nn.Linear(768, numClasses);
        RegisterComponents();
    }

    /// <summary>Replaces the final linear layer with a fresh one for <paramref name="numClasses"/> classes.</summary>
    /// <param name="numClasses">The new number of classes.</param>
    public void ReplaceHead(int numClasses)
    {
        var old = _fc;
        _fc = nn.Linear(768, numClasses);
        _fc.to(old.weight.device);
        register_module("fc", null!);
        register_module("fc", _fc);
        old.Dispose();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = _conv1.call(_conv0.call(nn.functional.avg_pool2d(input, 5, 3)));
        return _fc.call(nn.functional.adaptive_avg_pool2d(x, [1, 1]).flatten(1)).MoveToOuterDisposeScope();
    }
}
