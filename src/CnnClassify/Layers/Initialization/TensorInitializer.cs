using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.init;

namespace CnnClassify.Layers;

/// <summary>A rule that fills a weight tensor in place, such as Kaiming-normal or normal(0, 0.01).</summary>
public sealed class TensorInitializer
{
    private readonly Action<Tensor> _fill;

    private TensorInitializer(string name, Action<Tensor> fill)
    {
        Name = name;
        _fill = fill;
    }

    /// <summary>A readable description, such as <c>KaimingNormal(FanOut, ReLU)</c>.</summary>
    public string Name { get; }

    /// <summary>Kaiming (He) normal: N(0, gain^2 / fan), with gain sqrt(2) for ReLU.</summary>
    /// <param name="mode"><see cref="FanInOut.FanIn"/> keeps the forward variance; <see cref="FanInOut.FanOut"/> keeps the backward variance (torchvision's choice for convolutions).</param>
    /// <param name="nonlinearity">The activation that follows, which sets the gain.</param>
    public static TensorInitializer KaimingNormal(FanInOut mode = FanInOut.FanOut, NonlinearityType nonlinearity = NonlinearityType.ReLU) =>
        new($"KaimingNormal({mode}, {nonlinearity})", weight => kaiming_normal_(weight, mode: mode, nonlinearity: nonlinearity));

    /// <summary>Kaiming (He) uniform: U(-b, b) with b = gain * sqrt(3 / fan).</summary>
    /// <param name="mode">Which fan to preserve the variance of.</param>
    /// <param name="nonlinearity">The activation that follows, which sets the gain.</param>
    public static TensorInitializer KaimingUniform(FanInOut mode = FanInOut.FanIn, NonlinearityType nonlinearity = NonlinearityType.ReLU) =>
        new($"KaimingUniform({mode}, {nonlinearity})", weight => kaiming_uniform_(weight, mode: mode, nonlinearity: nonlinearity));

    /// <summary>Xavier (Glorot) uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).</summary>
    /// <param name="gain">Scale factor; 1 for linear or tanh-like layers.</param>
    public static TensorInitializer XavierUniform(double gain = 1.0) =>
        new($"XavierUniform({Format(gain)})", weight => xavier_uniform_(weight, gain));

    /// <summary>Xavier (Glorot) normal: N(0, gain^2 * 2 / (fan_in + fan_out)).</summary>
    /// <param name="gain">Scale factor; 1 for linear or tanh-like layers.</param>
    public static TensorInitializer XavierNormal(double gain = 1.0) =>
        new($"XavierNormal({Format(gain)})", weight => xavier_normal_(weight, gain));

    /// <summary>Normal N(mean, std^2), such as normal(0, 0.01) for classifier layers.</summary>
    /// <param name="mean">The mean.</param>
    /// <param name="std">The standard deviation, at least 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="std"/> is negative.</exception>
    public static TensorInitializer Normal(double mean, double std)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(std);
        return new($"Normal({Format(mean)}, {Format(std)})", weight => normal_(weight, mean, std));
    }

    /// <summary>Normal N(mean, std^2) truncated to [a, b], as torchvision's GoogLeNet uses with std 0.01.</summary>
    /// <param name="mean">The mean.</param>
    /// <param name="std">The standard deviation, at least 0.</param>
    /// <param name="a">Lower cut-off (absolute value, not in standard deviations).</param>
    /// <param name="b">Upper cut-off (absolute value).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="std"/> is negative or <paramref name="a"/> is not below <paramref name="b"/>.</exception>
    public static TensorInitializer TruncatedNormal(double mean, double std, double a = -2, double b = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(std);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(a, b);
        return new($"TruncatedNormal({Format(mean)}, {Format(std)}, [{Format(a)}, {Format(b)}])", weight => trunc_normal_(weight, mean, std, a, b));
    }

    /// <summary>Uniform U(low, high).</summary>
    /// <param name="low">Lower bound.</param>
    /// <param name="high">Upper bound, above <paramref name="low"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="high"/> is not above <paramref name="low"/>.</exception>
    public static TensorInitializer Uniform(double low, double high)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(low, high);
        return new($"Uniform({Format(low)}, {Format(high)})", weight => uniform_(weight, low, high));
    }

    /// <summary>Every element set to <paramref name="value"/>.</summary>
    /// <param name="value">The value.</param>
    public static TensorInitializer Constant(double value) =>
        new($"Constant({Format(value)})", weight =>
        {
            using var fill = value.ToScalar();
            constant_(weight, fill);
        });

    /// <summary>Fills <paramref name="tensor"/> in place without recording gradients.</summary>
    /// <param name="tensor">The tensor to fill.</param>
    public void Fill(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var noGrad = torch.no_grad();
        _fill(tensor);
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private static string Format(double value) => value.ToString("G", CultureInfo.InvariantCulture);
}
