using System.Globalization;

namespace CnnClassify.Evaluation.Plots;

/// <summary>
/// Chooses an axis's range, scale and labelled ticks for a set of values: round steps of 1, 2,
/// 2.5 or 5 times a power of ten, whole numbers only where asked, and a base-10 log scale when
/// positive values span more than a factor of ten.
/// </summary>
internal sealed class AxisRange
{
    private static readonly double[] Steps = [1, 2, 2.5, 5, 10];

    private AxisRange(AxisScale scale, double minimum, double maximum, IReadOnlyList<(double Value, string Label)> ticks)
    {
        Scale = scale;
        Minimum = minimum;
        Maximum = maximum;
        Ticks = ticks;
    }

    public AxisScale Scale { get; }

    /// <summary>The value at the axis start (the log of it on a log scale is <see cref="Position"/>'s 0).</summary>
    public double Minimum { get; }

    public double Maximum { get; }

    public IReadOnlyList<(double Value, string Label)> Ticks { get; }

    /// <summary>Where <paramref name="value"/> falls between the axis ends, 0 at the start and 1 at the end.</summary>
    public double Position(double value) => Scale == AxisScale.Log
        ? (Math.Log10(value) - Math.Log10(Minimum)) / (Math.Log10(Maximum) - Math.Log10(Minimum))
        : (value - Minimum) / (Maximum - Minimum);

    /// <summary>Epoch numbers: whole-number ticks, half a step of room either side.</summary>
    public static AxisRange Integers(double first, double last, int maxTicks = 10)
    {
        var span = Math.Max(1, last - first);
        var step = Steps.Select(s => s * Math.Pow(10, Math.Floor(Math.Log10(span / maxTicks))))
            .Concat([Math.Pow(10, Math.Ceiling(Math.Log10(span)))])
            .Where(s => s >= 1 && Math.Abs(s - Math.Round(s)) < 1e-9 && span / s <= maxTicks)
            .DefaultIfEmpty(1)
            .Min();
        var ticks = new List<(double, string)>();
        for (var v = Math.Ceiling(first / step) * step; v <= last + 1e-9; v += step)
        {
            ticks.Add((v, v.ToString("0", CultureInfo.InvariantCulture)));
        }

        var margin = Math.Max(0.5, span * 0.04);
        return new AxisRange(AxisScale.Linear, first - margin, last + margin, ticks);
    }

    /// <summary>
    /// A value axis: log scale when every value is positive and the largest is more than
    /// <paramref name="logRatio"/> times the smallest (0 turns the log scale off), linear otherwise.
    /// A constant series gets a range around its value, so its ticks say what the value is.
    /// </summary>
    public static AxisRange Values(IReadOnlyCollection<double> values, Func<double, string>? format = null, double logRatio = 0, int maxTicks = 6)
    {
        var finite = values.Where(double.IsFinite).ToList();
        if (finite.Count == 0)
        {
            finite = [0, 1];
        }

        var low = finite.Min();
        var high = finite.Max();
        if (logRatio > 0 && low > 0 && high / low > logRatio)
        {
            return Log(low, high, format ?? Scientific);
        }

        if (high - low <= Math.Abs(high) * 1e-9)
        {
            // A constant: show it in the middle of a range of plus or minus half its size.
            var half = low == 0 ? 1 : Math.Abs(low) / 2;
            (low, high) = (low - half, high + half);
        }

        var step = NiceStep((high - low) / maxTicks);
        var first = Math.Floor(low / step) * step;
        var last = Math.Ceiling(high / step) * step;
        var values0 = new List<double>();
        for (var i = 0; first + (i * step) <= last + (step * 1e-6); i++)
        {
            values0.Add(Math.Round(first + (i * step), 12));
        }

        format ??= Shortest(values0);
        return new AxisRange(AxisScale.Linear, first, last, values0.Select(v => (v, format(v))).ToList());
    }

    /// <summary>Formats as a percentage with the fewest decimals that keep the ticks apart.</summary>
    public static string Percent(double value)
    {
        var percent = value * 100;
        return percent.ToString(Math.Abs(percent - Math.Round(percent)) < 1e-6 ? "0" : "0.#", CultureInfo.InvariantCulture) + " %";
    }

    /// <summary>Compact scientific form for small and large values (5e-4, 1.5e-3), plain otherwise.</summary>
    public static string Scientific(double value)
    {
        if (value == 0)
        {
            return "0";
        }

        var exponent = (int)Math.Floor(Math.Log10(Math.Abs(value)) + 1e-9);
        if (exponent is >= -2 and <= 3)
        {
            return value.ToString("0.####", CultureInfo.InvariantCulture);
        }

        var mantissa = value / Math.Pow(10, exponent);
        return string.Create(CultureInfo.InvariantCulture, $"{mantissa:0.##}e{exponent}");
    }

    private static AxisRange Log(double low, double high, Func<double, string> format)
    {
        var first = Math.Floor(Math.Log10(low) + 1e-9);
        var last = Math.Ceiling(Math.Log10(high) - 1e-9);
        var decades = last - first;
        // Few decades: label 1, 2 and 5 of each; many: every decade, or every other one.
        var multiples = decades <= 2 ? new[] { 1.0, 2, 5 } : [1.0];
        var every = decades > 8 ? 2 : 1;
        var ticks = new List<(double, string)>();
        for (var d = first; d <= last; d++)
        {
            if ((d - first) % every != 0)
            {
                continue;
            }

            foreach (var m in multiples)
            {
                var v = m * Math.Pow(10, d);
                if (v >= Math.Pow(10, first) * 0.999 && v <= Math.Pow(10, last) * 1.001)
                {
                    ticks.Add((v, format(v)));
                }
            }
        }

        return new AxisRange(AxisScale.Log, Math.Pow(10, first), Math.Pow(10, last), ticks);
    }

    private static double NiceStep(double rough)
    {
        var power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        return Steps.Select(s => s * power).First(s => s >= rough * 0.999);
    }

    // The fewest decimals that still give every tick its own label.
    private static Func<double, string> Shortest(IReadOnlyList<double> values)
    {
        var scale = values.Max(Math.Abs);
        if (scale != 0 && (scale < 0.01 || scale >= 10_000))
        {
            return Scientific;
        }

        for (var decimals = 0; decimals < 8; decimals++)
        {
            var pattern = decimals == 0 ? "0" : "0." + new string('0', decimals);
            if (values.Select(v => v.ToString(pattern, CultureInfo.InvariantCulture)).Distinct().Count() == values.Count)
            {
                return v => v.ToString(pattern, CultureInfo.InvariantCulture);
            }
        }

        return v => v.ToString("G6", CultureInfo.InvariantCulture);
    }
}
