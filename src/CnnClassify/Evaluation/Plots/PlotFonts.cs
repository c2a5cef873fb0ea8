using SkiaSharp;

namespace CnnClassify.Evaluation.Plots;

/// <summary>The embedded DejaVu Sans font, for drawing text on hosts without system fonts.</summary>
internal static class PlotFonts
{
    public const string Family = "DejaVu Sans";

    private static readonly Lazy<SKTypeface> TypefaceValue = new(Load);
    private static readonly Lazy<bool> Registered = new(RegisterWithScottPlot);

    public static SKTypeface Typeface => TypefaceValue.Value;

    /// <summary>Makes ScottPlot draw with the embedded font (it needs a file, so the font is written to the temp folder once).</summary>
    public static void EnsureScottPlotFont() => _ = Registered.Value;

    public static SKFont Font(float size) => new(Typeface, size);

    private static SKTypeface Load()
    {
        using var stream = typeof(PlotFonts).Assembly.GetManifestResourceStream("CnnClassify.Fonts.DejaVuSans.ttf")
            ?? throw new InvalidOperationException("The embedded font CnnClassify.Fonts.DejaVuSans.ttf is missing from the assembly.");
        return SKTypeface.FromStream(stream) ?? throw new InvalidOperationException("The embedded font could not be loaded.");
    }

    private static bool RegisterWithScottPlot()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cnnclassify-{typeof(PlotFonts).Assembly.GetName().Version}-DejaVuSans.ttf");
        if (!File.Exists(path))
        {
            using var stream = typeof(PlotFonts).Assembly.GetManifestResourceStream("CnnClassify.Fonts.DejaVuSans.ttf")!;
            Interop.AtomicFile.Write(path, stream.CopyTo);
        }

        ScottPlot.Fonts.AddFontFile(Family, path);
        ScottPlot.Fonts.Default = Family;
        return true;
    }
}
