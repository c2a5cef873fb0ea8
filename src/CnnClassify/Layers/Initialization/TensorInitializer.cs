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

    /// <summary>Normal N(mean, std^2) truncated to [a, b], as torchvision's GoogLeNet, Inception v3 and ConvNeXt use.</summary>
    /// <param name="mean">The mean.</param>
    /// <param name="std">The standard deviation, at least 0.</param>
    /// <param name="a">Lower cut-off (absolute value, not in standard deviations).</param>
    /// <param name="b">Upper cut-off (absolute value).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="std"/> is negative or <paramref name="a"/> is not below <paramref name="b"/>.</exception>
    public static TensorInitializer TruncatedNormal(double mean, double std, double a = -2, double b = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(std);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(a, b);
        return new($"TruncatedNormal({Format(mean)}, {Format(std)}, [{Format(a)}, {Format(b)}])", weight => FillTruncatedNormal(weight, mean, std, a, b));
    }

    // By inverse transform sampling: uniform between the normal CDF's values at the cut-offs,
    // through the inverse error function, then clamped against rounding at the ends. TorchSharp's
    // own trunc_normal_ fills every element with the standard deviation, so it is not used.
    private static void FillTruncatedNormal(Tensor weight, double mean, double std, double a, double b)
    {
        static double Cdf(double x) => (1 + Erf(x / Math.Sqrt(2))) / 2;
        using var noGrad = torch.no_grad();
        if (std == 0)
        {
            using var value = Math.Clamp(mean, a, b).ToScalar();
            weight.fill_(value);
            return;
        }

        var (low, high) = (Cdf((a - mean) / std), Cdf((b - mean) / std));
        using var scale = (std * Math.Sqrt(2)).ToScalar();
        using var shift = mean.ToScalar();
        using var lowest = a.ToScalar();
        using var highest = b.ToScalar();
        weight.uniform_((2 * low) - 1, (2 * high) - 1).erfinv_().mul_(scale).add_(shift, HeldScalars.One).clamp_(lowest, highest);
    }

    // The error function, to within 1.2e-7 (Numerical Recipes' erfc by Chebyshev fitting).
    private static double Erf(double x)
    {
        double[] coefficients = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
        var z = Math.Abs(x);
        var t = 1 / (1 + (0.5 * z));
        var polynomial = 0.0;
        for (var i = coefficients.Length - 1; i >= 0; i--)
        {
            polynomial = (polynomial * t) + coefficients[i];
        }

        var tail = t * Math.Exp(-(z * z) + polynomial);
        return x >= 0 ? 1 - tail : tail - 1;
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
