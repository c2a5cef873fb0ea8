using System.CommandLine;
using System.Globalization;

namespace CnnClassify.Cli;

/// <summary>Range rules for numeric options, checked while parsing so that a wrong value is a usage error (exit 2) naming the option.</summary>
internal static class OptionRules
{
    public static Option<int> AtLeast(this Option<int> option, int minimum)
    {
        option.Validators.Add(result =>
        {
            if (!TryGet(result, out int value))
            {
                return;
            }

            if (value < minimum)
            {
                result.AddError($"{option.Name} must be at least {minimum}; got {value}.");
            }
        });
        return option;
    }

    public static Option<int?> AtLeast(this Option<int?> option, int minimum)
    {
        option.Validators.Add(result =>
        {
            if (TryGet(result, out int? found) && found is { } value && value < minimum)
            {
                result.AddError($"{option.Name} must be at least {minimum}; got {value}.");
            }
        });
        return option;
    }

    public static Option<int> Between(this Option<int> option, int minimum, int maximum)
    {
        option.Validators.Add(result =>
        {
            if (TryGet(result, out int value) && (value < minimum || value > maximum))
            {
                result.AddError($"{option.Name} must be {minimum} to {maximum:N0}; got {value:N0}.");
            }
        });
        return option;
    }

    public static Option<int?> Between(this Option<int?> option, int minimum, int maximum)
    {
        option.Validators.Add(result =>
        {
            if (TryGet(result, out int? found) && found is { } value && (value < minimum || value > maximum))
            {
                result.AddError($"{option.Name} must be {minimum} to {maximum:N0}; got {value:N0}.");
            }
        });
        return option;
    }

    /// <summary>The most threads <c>--threads</c> and <c>--workers</c> accept: four per logical core.</summary>
    public static int MaxThreads => 4 * Environment.ProcessorCount;

    public static Option<double> Above(this Option<double> option, double minimum)
    {
        option.Validators.Add(result =>
        {
            if (TryGet(result, out double value) && (!(value > minimum) || !double.IsFinite(value)))
            {
                result.AddError($"{option.Name} must be a number above {minimum.ToString(CultureInfo.InvariantCulture)}; got {value.ToString(CultureInfo.InvariantCulture)}.");
            }
        });
        return option;
    }

    /// <summary>Accepts <c>auto</c> or a whole number in [<paramref name="minimum"/>, <paramref name="maximum"/>], such as a batch size the search may choose.</summary>
    public static Option<string> SizeOrAuto(this Option<string> option, int minimum, int maximum)
    {
        option.Validators.Add(result =>
        {
            if (TryGet(result, out string? value) && value != "auto" && !(int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var size) && size >= minimum && size <= maximum))
            {
                result.AddError($"{option.Name} must be auto or a whole number from {minimum.ToString(CultureInfo.InvariantCulture)} to {maximum.ToString("N0", CultureInfo.InvariantCulture)}; got '{value}'.");
            }
        });
        return option;
    }

    /// <summary>Accepts <c>auto</c> or a finite number above 0, such as a learning rate the range test may choose.</summary>
    public static Option<string> RateOrAuto(this Option<string> option)
    {
        option.Validators.Add(result =>
        {
            if (TryGet(result, out string? value) && value != "auto" && !(double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && rate > 0 && double.IsFinite(rate)))
            {
                result.AddError($"{option.Name} must be a number above 0 or auto; got '{value}'.");
            }
        });
        return option;
    }

    /// <summary>The number a <see cref="RateOrAuto"/> option holds, or <see langword="null"/> for <c>auto</c>.</summary>
    public static double? RateOrAutoValue(string value) => value == "auto" ? null : double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);

    public static Option<double> From(this Option<double> option, double low, double high)
    {
        option.Validators.Add(result =>
        {
            if (TryGet(result, out double value) && !(value >= low && value < high))
            {
                result.AddError($"{option.Name} must be in [{low.ToString(CultureInfo.InvariantCulture)}, {high.ToString(CultureInfo.InvariantCulture)}); got {value.ToString(CultureInfo.InvariantCulture)}.");
            }
        });
        return option;
    }

    /// <summary>Accepts a value in (<paramref name="low"/>, <paramref name="high"/>], such as a decay factor.</summary>
    public static Option<double?> Within(this Option<double?> option, double low, double high)
    {
        option.Validators.Add(result =>
        {
            if (TryGet(result, out double? value) && value is { } number && !(number > low && number <= high))
            {
                result.AddError($"{option.Name} must be in ({low.ToString(CultureInfo.InvariantCulture)}, {high.ToString(CultureInfo.InvariantCulture)}]; got {number.ToString(CultureInfo.InvariantCulture)}.");
            }
        });
        return option;
    }

    /// <summary>The option's value, unless its text could not be converted (which the parser reports itself).</summary>
    private static bool TryGet<T>(System.CommandLine.Parsing.OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }
}
