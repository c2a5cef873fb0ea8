using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// An activation function that blocks and the builder can create fresh modules of.
/// Use the predefined instances, such as <see cref="ReLU"/>, or <see cref="Custom"/> for others.
/// </summary>
public sealed class Activation
{
    private readonly Func<nn.Module<Tensor, Tensor>>? _factory;

    private Activation(string name, Func<nn.Module<Tensor, Tensor>>? factory, bool isCustom = false)
    {
        Name = name;
        _factory = factory;
        IsCustom = isCustom;
    }

    /// <summary>The display name, such as <c>ReLU</c> or <c>LeakyReLU(0.1)</c>.</summary>
    public string Name { get; }

    /// <summary>Whether this activation was made by <see cref="Custom"/>, so that only code can recreate it.</summary>
    public bool IsCustom { get; }

    /// <summary>No activation: blocks using it skip the activation step.</summary>
    public static Activation None { get; } = new("None", null);

    /// <summary>max(0, x).</summary>
    public static Activation ReLU { get; } = new("ReLU", () => nn.ReLU());

    /// <summary>min(max(0, x), 6), as in MobileNetV2.</summary>
    public static Activation ReLU6 { get; } = new("ReLU6", () => nn.ReLU6());

    /// <summary>tanh(x), as in LeNet-5.</summary>
    public static Activation Tanh { get; } = new("Tanh", () => nn.Tanh());

    /// <summary>The logistic sigmoid 1 / (1 + exp(-x)).</summary>
    public static Activation Sigmoid { get; } = new("Sigmoid", () => nn.Sigmoid());

    /// <summary>GELU with the exact (erf) formulation.</summary>
    public static Activation GELU { get; } = new("GELU", () => nn.GELU());

    /// <summary>SiLU (swish), x * sigmoid(x), as in EfficientNet.</summary>
    public static Activation SiLU { get; } = new("SiLU", () => nn.SiLU());

    /// <summary>Hard swish, x * ReLU6(x + 3) / 6, as in MobileNetV3.</summary>
    public static Activation Hardswish { get; } = new("Hardswish", () => nn.Hardswish());

    /// <summary>Hard sigmoid, ReLU6(x + 3) / 6, MobileNetV3's gate in squeeze-and-excitation.</summary>
    public static Activation Hardsigmoid { get; } = new("Hardsigmoid", () => nn.Hardsigmoid());

    /// <summary>Leaky ReLU: x for x &gt; 0, else <paramref name="negativeSlope"/> * x.</summary>
    /// <param name="negativeSlope">The slope for negative inputs; PyTorch's default is 0.01.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="negativeSlope"/> is negative or not finite.</exception>
    public static Activation LeakyReLU(double negativeSlope = 0.01)
    {
        if (!double.IsFinite(negativeSlope) || negativeSlope < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(negativeSlope), negativeSlope, "The negative slope must be a finite number >= 0.");
        }

        return new($"LeakyReLU({Format(negativeSlope)})", () => new LeakyReLU(negativeSlope));
    }

    /// <summary>ELU: x for x &gt; 0, else <paramref name="alpha"/> * (exp(x) - 1).</summary>
    /// <param name="alpha">The saturation value for negative inputs; PyTorch's default is 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not positive and finite.</exception>
    public static Activation ELU(double alpha = 1.0)
    {
        if (!double.IsFinite(alpha) || alpha <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "ELU's alpha must be a finite number > 0.");
        }

        return new($"ELU({Format(alpha)})", () => new ELU(alpha));
    }

    /// <summary>Any other activation, given a factory for its module.</summary>
    /// <param name="name">The display name.</param>
    /// <param name="factory">Creates a new module each time it is called.</param>
    public static Activation Custom(string name, Func<nn.Module<Tensor, Tensor>> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        return new(name, factory, isCustom: true);
    }

    /// <summary>Finds a built-in activation by its <see cref="Name"/>, such as <c>ReLU</c> or <c>LeakyReLU(0.1)</c>.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The activation, or <see langword="null"/> when no built-in one has that name.</returns>
    public static Activation? FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var fixedActivation in new[] { None, ReLU, ReLU6, Tanh, Sigmoid, GELU, SiLU, Hardswish, Hardsigmoid })
        {
            if (fixedActivation.Name == name)
            {
                return fixedActivation;
            }
        }

        var open = name.IndexOf('(', StringComparison.Ordinal);
        if (open < 0 || !name.EndsWith(')') || !double.TryParse(name.AsSpan(open + 1, name.Length - open - 2), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            return null;
        }

        return name[..open] switch
        {
            "LeakyReLU" => LeakyReLU(value),
            "ELU" => ELU(value),
            _ => null,
        };
    }

    /// <summary>Creates a new module for this activation, or <see langword="null"/> for <see cref="None"/>.</summary>
    public nn.Module<Tensor, Tensor>? CreateModule() => _factory?.Invoke();

    /// <inheritdoc />
    public override string ToString() => Name;

    private static string Format(double value) => value.ToString("G", System.Globalization.CultureInfo.InvariantCulture);
}
