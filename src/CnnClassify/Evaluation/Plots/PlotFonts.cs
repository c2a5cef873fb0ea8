using SkiaSharp;

namespace CnnClassify.Evaluation.Plots;

/// <summary>The embedded DejaVu Sans font, for drawing text on hosts without system fonts.</summary>
internal static class PlotFonts
{
    private static readonly Lazy<SKTypeface> TypefaceValue = new(Load);

    public static SKTypeface Typeface => TypefaceValue.Value;

    public static SKFont Font(float size) => new(Typeface, size);

    private static SKTypeface Load()
    {
        using var stream = typeof(PlotFonts).Assembly.GetManifestResourceStream("CnnClassify.Fonts.DejaVuSans.ttf")
            ?? throw new InvalidOperationException("The embedded font CnnClassify.Fonts.DejaVuSans.ttf is missing from the assembly.");
        return SKTypeface.FromStream(stream) ?? throw new InvalidOperationException("The embedded font could not be loaded.");
    }
}
