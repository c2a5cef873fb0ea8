namespace CnnClassify.Evaluation.Plots;

/// <summary>A rectangle of pixels in a plot image, from its top-left corner.</summary>
/// <param name="Left">The first column.</param>
/// <param name="Top">The first row.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public readonly record struct PixelRect(int Left, int Top, int Width, int Height)
{
    /// <summary>One past the last column.</summary>
    public int Right => Left + Width;

    /// <summary>One past the last row.</summary>
    public int Bottom => Top + Height;

    /// <summary>Whether the pixel (<paramref name="x"/>, <paramref name="y"/>) lies inside.</summary>
    /// <param name="x">Column.</param>
    /// <param name="y">Row.</param>
    public bool Contains(int x, int y) => x >= Left && x < Right && y >= Top && y < Bottom;

    /// <summary>Whether the two rectangles share any pixel.</summary>
    /// <param name="other">The other rectangle.</param>
    public bool Overlaps(PixelRect other) => Left < other.Right && other.Left < Right && Top < other.Bottom && other.Top < Bottom;
}

/// <summary>How an axis maps values to pixels.</summary>
public enum AxisScale
{
    /// <summary>Equal distances for equal differences.</summary>
    Linear,

    /// <summary>Equal distances for equal ratios (base 10).</summary>
    Log,
}

/// <summary>A labelled tick on an axis.</summary>
/// <param name="Value">The data value it marks.</param>
/// <param name="Label">The text drawn beside it.</param>
/// <param name="Pixel">Its position: the column on a horizontal axis, the row on a vertical one.</param>
public sealed record AxisTick(double Value, string Label, float Pixel);

/// <summary>One axis of a drawn plot, as it was laid out.</summary>
/// <param name="Title">The axis title.</param>
/// <param name="Scale">Linear or logarithmic.</param>
/// <param name="Minimum">The value at the data area's start (left or bottom edge).</param>
/// <param name="Maximum">The value at the data area's end (right or top edge).</param>
/// <param name="Ticks">The labelled ticks, in increasing order.</param>
/// <param name="LabelArea">Where the tick labels are drawn.</param>
public sealed record PlotAxis(string Title, AxisScale Scale, double Minimum, double Maximum, IReadOnlyList<AxisTick> Ticks, PixelRect LabelArea);

/// <summary>A line drawn in a panel, with the pixels of its points.</summary>
/// <param name="Name">The name in the legend (empty for a panel without a legend).</param>
/// <param name="Color">The line's colour as 0xRRGGBB.</param>
/// <param name="Points">Each point's pixel position (column, row).</param>
public sealed record PlotSeries(string Name, int Color, IReadOnlyList<(float X, float Y)> Points);

/// <summary>One panel of a drawn plot: where its data, axes and legend went.</summary>
/// <param name="Title">The panel title.</param>
/// <param name="Area">The whole panel.</param>
/// <param name="DataArea">The rectangle the lines are drawn in (clipped to it).</param>
/// <param name="X">The horizontal axis.</param>
/// <param name="Y">The vertical axis.</param>
/// <param name="Series">The lines.</param>
/// <param name="Legend">The legend box, or <see langword="null"/> when the panel has one line.</param>
public sealed record PlotPanel(string Title, PixelRect Area, PixelRect DataArea, PlotAxis X, PlotAxis Y, IReadOnlyList<PlotSeries> Series, PixelRect? Legend);

/// <summary>Where a confusion-matrix plot put its parts.</summary>
/// <param name="Cells">The grid of cells: true classes down, predicted classes across.</param>
/// <param name="TrueClassTitle">The vertical axis title ("True class").</param>
/// <param name="PredictedClassTitle">The horizontal axis title ("Predicted class").</param>
/// <param name="ColorBar">The colour scale.</param>
/// <param name="ColorBarTicks">The colour scale's labelled ticks (row shares, 0 to 1).</param>
public sealed record ConfusionMatrixLayout(PixelRect Cells, PixelRect TrueClassTitle, PixelRect PredictedClassTitle, PixelRect ColorBar, IReadOnlyList<AxisTick> ColorBarTicks);
