using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// An auxiliary classifier of GoogLeNet, attached to an intermediate Inception output while
/// training: 4x4 average pooling, a 1x1 convolution to 128 channels, a 1,024-wide layer with ReLU
/// and dropout 0.7, and the head <c>fc2</c>. Submodules are named as in torchvision.
/// </summary>
public sealed class GoogLeNetAuxiliaryHead : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "conv")]
    private readonly ConvBlock _conv;
    [ComponentName(Name = "fc1")]
    private readonly Linear _fc1;
    [ComponentName(Name = "fc2")]
    private Linear _fc2;
    [ComponentName(Name = "dropout")]
    private readonly Dropout _dropout;

    /// <summary>Creates the head.</summary>
    /// <param name="inChannels">Channels of the Inception output it reads.</param>
    /// <param name="numClasses">Classes it predicts.</param>
    public GoogLeNetAuxiliaryHead(long inChannels, int numClasses)
        : base(nameof(GoogLeNetAuxiliaryHead))
    {
        _conv = new ConvBlock(inChannels, 128, 1, batchNormEps: 1e-3);
        _fc1 = nn.Linear(2048, 1024);
        _fc2 = nn.Linear(1024, numClasses);
        _dropout = nn.Dropout(0.7);
        RegisterComponents();
    }

    /// <summary>The final linear layer.</summary>
    public Linear Head => _fc2;

    /// <summary>Replaces <c>fc2</c> with a fresh layer for <paramref name="numClasses"/> classes.</summary>
    /// <param name="numClasses">The new number of classes.</param>
    public void ReplaceHead(int numClasses)
    {
        var old = _fc2;
        _fc2 = nn.Linear(1024, numClasses);
        _fc2.to(old.weight.device);
        register_module("fc2", null!);
        register_module("fc2", _fc2);
        old.Dispose();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = _conv.call(nn.functional.adaptive_avg_pool2d(input, [4, 4])).flatten(1);
        x = _dropout.call(nn.functional.relu(_fc1.call(x)));
        return _fc2.call(x).MoveToOuterDisposeScope();
    }
}
