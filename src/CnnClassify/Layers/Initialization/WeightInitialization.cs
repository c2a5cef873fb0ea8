using CnnClassify.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// How to initialise a model's weights, by layer kind. Properties left <see langword="null"/> keep
/// the weights each module was created with, which are PyTorch's defaults.
/// </summary>
/// <remarks>
/// When convolution or linear weights are re-initialised, their biases are set to zero.
/// <see cref="PyTorchDefault"/> changes nothing and is the builder's default. The presets follow
/// common practice:
/// <list type="bullet">
/// <item><see cref="KaimingNormal"/>: convolutions Kaiming-normal (fan-out, ReLU), linear layers
/// normal(0, 0.01), norms weight 1 and bias 0, as torchvision's VGG and ResNet do.</item>
/// <item><see cref="KaimingUniform"/>: convolutions and linear layers Kaiming-uniform (fan-in, ReLU), norms 1 and 0.</item>
/// <item><see cref="Xavier"/>: convolutions and linear layers Xavier-uniform, norms 1 and 0, as Keras does.</item>
/// </list>
/// </remarks>
public sealed record WeightInitialization
{
    /// <summary>Keeps every module's own initialisation, which matches PyTorch's.</summary>
    public static WeightInitialization PyTorchDefault { get; } = new();

    /// <summary>Kaiming-normal (fan-out, ReLU) convolutions, normal(0, 0.01) linear layers, norms 1 and 0.</summary>
    public static WeightInitialization KaimingNormal { get; } = new()
    {
        Conv = TensorInitializer.KaimingNormal(nn.init.FanInOut.FanOut),
        Linear = TensorInitializer.Normal(0, 0.01),
        NormWeight = 1,
        NormBias = 0,
    };

    /// <summary>Kaiming-uniform (fan-in, ReLU) convolutions and linear layers, norms 1 and 0.</summary>
    public static WeightInitialization KaimingUniform { get; } = new()
    {
        Conv = TensorInitializer.KaimingUniform(nn.init.FanInOut.FanIn),
        Linear = TensorInitializer.KaimingUniform(nn.init.FanInOut.FanIn),
        NormWeight = 1,
        NormBias = 0,
    };

    /// <summary>Xavier-uniform convolutions and linear layers, norms 1 and 0.</summary>
    public static WeightInitialization Xavier { get; } = new()
    {
        Conv = TensorInitializer.XavierUniform(),
        Linear = TensorInitializer.XavierUniform(),
        NormWeight = 1,
        NormBias = 0,
    };

    /// <summary>Initialiser for the weights of convolutions (1-D, 2-D, 3-D and transposed), or <see langword="null"/> to keep them.</summary>
    public TensorInitializer? Conv { get; init; }

    /// <summary>Initialiser for the weights of linear layers, or <see langword="null"/> to keep them.</summary>
    public TensorInitializer? Linear { get; init; }

    /// <summary>Constant for the weight (scale) of BatchNorm and GroupNorm layers, or <see langword="null"/> to keep it.</summary>
    public double? NormWeight { get; init; }

    /// <summary>Constant for the bias (shift) of BatchNorm and GroupNorm layers, or <see langword="null"/> to keep it.</summary>
    public double? NormBias { get; init; }

    /// <summary>
    /// Whether to zero the weight of the last BatchNorm in each residual block, so that every block
    /// starts as an identity (Goyal et al., 2017); torchvision's <c>zero_init_residual</c>.
    /// </summary>
    public bool ZeroInitResidual { get; init; }

    /// <summary>Initialises every matching layer in <paramref name="model"/>, in place.</summary>
    /// <param name="model">Any module; all modules inside it are visited.</param>
    public void Apply(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var noGrad = torch.no_grad();
        foreach (var (_, module, _) in ModuleTree.Walk(model))
        {
            switch (module)
            {
                case Convolution conv when Conv is not null:
                    Conv.Fill(conv.weight);
                    conv.bias?.zero_();
                    break;
                case TorchSharp.Modules.Linear linear when Linear is not null:
                    Linear.Fill(linear.weight);
                    linear.bias?.zero_();
                    break;
                case NormBase norm:
                    FillNorm(norm.weight, norm.bias);
                    break;
                case GroupNorm norm:
                    FillNorm(norm.weight, norm.bias);
                    break;
            }
        }

        if (ZeroInitResidual)
        {
            foreach (var (_, module, _) in ModuleTree.Walk(model))
            {
                if (module is IResidualBlock block)
                {
                    block.LastBatchNorm.weight.zero_();
                }
            }
        }
    }

    private void FillNorm(Tensor? weight, Tensor? bias)
    {
        if (NormWeight is { } scale)
        {
            using var value = scale.ToScalar();
            weight?.fill_(value);
        }

        if (NormBias is { } shift)
        {
            using var value = shift.ToScalar();
            bias?.fill_(value);
        }
    }
}
