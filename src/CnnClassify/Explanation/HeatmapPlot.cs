using System.Globalization;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Evaluation;
using CnnClassify.Evaluation.Plots;
using CnnClassify.Models;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Explanation;

/// <summary>
/// Draws class activation maps over their images: the map scaled to [0, 1] per image, coloured
/// from blue (0) through green and yellow to red (1), and blended with the image.
/// </summary>
public static class HeatmapPlot
{
    private const int Tile = 160;

    /// <summary>Writes one image with its map over it, at least 224 pixels on its longer side.</summary>
    /// <param name="image">The image as the model saw it, uint8 [C, H, W] (C = 1 or 3).</param>
    /// <param name="map">Its map, [h, w] at any resolution (upsampled bilinearly to the image).</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="alpha">The map's weight in the blend, from 0 (image only) to 1 (map only).</param>
    public static void SaveOverlay(Tensor image, Tensor map, string path, double alpha = 0.5)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentException.ThrowIfNullOrEmpty(path);
        PngFile.Write(path, EncodeOverlay(image, map, alpha));
    }

    /// <summary>The overlay <see cref="SaveOverlay"/> writes, as PNG bytes (for a server's response).</summary>
    /// <param name="image">The image as the model saw it, uint8 [C, H, W] (C = 1 or 3).</param>
    /// <param name="map">Its map, [h, w] at any resolution (upsampled bilinearly to the image).</param>
    /// <param name="alpha">The map's weight in the blend.</param>
    public static byte[] EncodeOverlay(Tensor image, Tensor map, double alpha = 0.5)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentOutOfRangeException.ThrowIfLessThan(alpha, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(alpha, 1);
        using var bitmap = Overlay(image, map, alpha);
        var scale = Math.Max(1, (int)Math.Ceiling(224.0 / Math.Max(bitmap.Width, bitmap.Height)));
        using var surface = SKSurface.Create(new SKImageInfo(bitmap.Width * scale, bitmap.Height * scale));
        using var picture = SKImage.FromBitmap(bitmap);
        surface.Canvas.DrawImage(picture, SKRect.Create(0, 0, bitmap.Width * scale, bitmap.Height * scale), new SKSamplingOptions(SKFilterMode.Linear), null);
        return PngFile.Encode(surface);
    }

    /// <summary>
    /// Writes a grid for a batch: each image beside its heatmap, captioned with the true class
    /// (when given), the predicted class and the probability of the explained class.
    /// </summary>
    /// <param name="maps">The maps of <paramref name="inputs"/>.</param>
    /// <param name="inputs">The batch the maps were computed on, preprocessed [N, C, H, W].</param>
    /// <param name="classNames">Class names, by index.</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="preprocessing">The normalisation the inputs went through, undone for display; <see langword="null"/> when the inputs are in [0, 1].</param>
    /// <param name="trueClasses">The true class of each image, or <see langword="null"/>.</param>
    /// <param name="columns">Images per row.</param>
    /// <param name="title">The title above the grid.</param>
    public static void SaveGrid(ClassActivationMaps maps, Tensor inputs, IReadOnlyList<string> classNames, string path, Preprocessing? preprocessing = null, IReadOnlyList<int>? trueClasses = null, int columns = 4, string? title = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        PngFile.Write(path, RenderGrid(maps, inputs, classNames, preprocessing, trueClasses, columns, title));
    }

    /// <summary>
    /// Writes the most confidently wrong samples with heatmaps of the class the model predicted:
    /// where it looked when it went wrong. The companion of <see cref="PredictionGridPlot.SaveTopLosses"/>.
    /// </summary>
    /// <param name="predictions">The predictions.</param>
    /// <param name="dataset">The dataset they were made on.</param>
    /// <param name="mapper">The mapper over the model that made them.</param>
    /// <param name="configuration">The model's configuration: its evaluation transform prepares the images.</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="count">Images to show.</param>
    /// <param name="columns">Images per row.</param>
    public static void SaveTopLosses(PredictionSet predictions, IImageDataset dataset, ClassActivationMapper mapper, ModelConfiguration configuration, string path, int count = 8, int columns = 4)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        PngFile.Write(path, RenderTopLosses(predictions, dataset, mapper, configuration, count, columns));
    }

    internal static byte[] RenderTopLosses(PredictionSet predictions, IImageDataset dataset, ClassActivationMapper mapper, ModelConfiguration configuration, int count = 8, int columns = 4)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(mapper);
        ArgumentNullException.ThrowIfNull(configuration);
        var samples = predictions.TopLosses(count);
        using var scope = torch.NewDisposeScope();
        var transform = configuration.EvalTransform();
        if (samples.Count == 0)
        {
            return RenderGrid(null, null, predictions.ClassNames, configuration.Preprocessing, [], columns, "Top losses with heatmaps: none");
        }

        var inputs = torch.stack(samples.Select(s =>
        {
            using var sample = dataset.Read(s.Index);
            return transform.Apply(sample.Image, new Random(0));
        }).ToList());
        var device = mapper.Device;
        using var maps = mapper.Compute(inputs.to(device), samples.Select(s => s.Predicted).ToList());
        return RenderGrid(maps, inputs, predictions.ClassNames, configuration.Preprocessing, samples.Select(s => s.Target).ToList(), columns, "Top losses with heatmaps of the predicted class");
    }

    /// <summary>
    /// Writes the multi-label samples with the most wrong label sets, each beside the heatmap of
    /// every label it was predicted to have (or of its most probable label when none).
    /// </summary>
    /// <param name="predictions">The predictions.</param>
    /// <param name="dataset">The dataset they were made on.</param>
    /// <param name="mapper">Computes the maps.</param>
    /// <param name="configuration">The model's description: its evaluation transform prepares the images.</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="count">Samples to show, at most 16 maps in all.</param>
    public static void SaveTopLosses(MultiLabelPredictionSet predictions, IImageDataset dataset, ClassActivationMapper mapper, ModelConfiguration configuration, string path, int count = 4)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        PngFile.Write(path, RenderTopLosses(predictions, dataset, mapper, configuration, count));
    }

    /// <summary>
    /// Draws the multi-label samples with the most wrong label sets, each once per predicted label
    /// (or for its most probable label when none is predicted) beside that label's heatmap.
    /// </summary>
    internal static byte[] RenderTopLosses(MultiLabelPredictionSet predictions, IImageDataset dataset, ClassActivationMapper mapper, ModelConfiguration configuration, int count = 4, int columns = 4)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(mapper);
        ArgumentNullException.ThrowIfNull(configuration);
        var rows = predictions.TopLosses(count).SelectMany(i => ExplainedLabels(predictions, i).Select(label => (Sample: i, Label: label))).Take(4 * columns).ToList();
        using var scope = torch.NewDisposeScope();
        const string Title = "Top losses with heatmaps of each predicted label";
        if (rows.Count == 0)
        {
            return RenderGrid(null, null, predictions.ClassNames, configuration.Preprocessing, null, columns, $"{Title}: none");
        }

        var transform = configuration.EvalTransform();
        var inputs = torch.stack(rows.Select(r =>
        {
            using var sample = dataset.Read(predictions.Indices[r.Sample]);
            return transform.Apply(sample.Image, new Random(0));
        }).ToList());
        using var maps = mapper.Compute(inputs.to(mapper.Device), rows.Select(r => r.Label).ToList());
        string Names(IReadOnlyList<int> labels) => labels.Count == 0 ? "none" : string.Join(", ", labels.Select(c => predictions.ClassNames[c]));
        var captions = rows.Select(r =>
        {
            var text = $"true: {Names(predictions.TrueLabels(r.Sample))}; predicted: {Names(predictions.PredictedLabels(r.Sample))}";
            return (text.Length <= 44 ? text : text[..43] + "…", predictions.TrueLabels(r.Sample).Contains(r.Label));
        }).ToList();
        return RenderGrid(maps, inputs, predictions.ClassNames, configuration.Preprocessing, null, columns, Title, captions);
    }

    // The labels a sample's maps explain: those predicted, or the most probable one.
    private static IReadOnlyList<int> ExplainedLabels(MultiLabelPredictionSet predictions, int i)
    {
        var predicted = predictions.PredictedLabels(i);
        var probabilities = predictions.Probabilities(i);
        return predicted.Count > 0 ? predicted : [Enumerable.Range(0, probabilities.Count).MaxBy(c => probabilities[c])];
    }

    internal static byte[] RenderGrid(ClassActivationMaps? maps, Tensor? inputs, IReadOnlyList<string> classNames, Preprocessing? preprocessing, IReadOnlyList<int>? trueClasses, int columns, string? title, IReadOnlyList<(string Text, bool Right)>? captions = null)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        var count = maps?.Count ?? 0;
        if (maps is not null && (inputs is null || inputs.dim() != 4 || inputs.shape[0] != count))
        {
            throw new ArgumentException($"The inputs must be the batch of {count} images the maps were computed on.", nameof(inputs));
        }

        if (trueClasses is not null && count > 0 && trueClasses.Count != count)
        {
            throw new ArgumentException($"{trueClasses.Count} true classes for {count} images.", nameof(trueClasses));
        }

        const int Top = 40, Caption = 52;
        var rows = Math.Max(1, (count + columns - 1) / columns);
        using var surface = SKSurface.Create(new SKImageInfo(columns * 2 * Tile, Top + (rows * (Tile + Caption))));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        title ??= maps is null ? "Class activation maps" : $"{Describe(maps.Method)} at '{maps.Layer}'";
        PngFile.DrawText(canvas, title, columns * Tile, 26, 16, SKColors.Black, SKTextAlign.Center);
        if (maps is null || count == 0)
        {
            return PngFile.Encode(surface);
        }

        using var scope = torch.NewDisposeScope();
        var display = Display(inputs!, preprocessing);
        var upsampled = ClassActivationMaps.Scale(maps.Upsampled());
        for (var i = 0; i < count; i++)
        {
            var (x, y) = ((i % columns) * 2 * Tile, Top + ((i / columns) * (Tile + Caption)));
            using (var plain = PredictionGridPlot.ToBitmap(display[i]))
            using (var blended = Blend(display[i], upsampled[i], 0.5))
            {
                DrawTile(canvas, plain, x, y);
                DrawTile(canvas, blended, x + Tile, y);
            }

            var predicted = maps.Predicted[i];
            var explained = maps.Classes[i];
            var right = trueClasses is null || trueClasses[i] == predicted;
            var first = captions is not null ? captions[i].Text : trueClasses is null ? $"predicted: {classNames[predicted]}" : $"true: {classNames[trueClasses[i]]}, predicted: {classNames[predicted]}";
            right = captions?[i].Right ?? right;
            var second = string.Create(CultureInfo.InvariantCulture, $"map of {classNames[explained]} (p = {maps.Probabilities[i]:0.00})");
            PngFile.DrawText(canvas, first, x + Tile, y + Tile + 18, 12, right ? new SKColor(0, 128, 0) : new SKColor(200, 0, 0), SKTextAlign.Center);
            PngFile.DrawText(canvas, second, x + Tile, y + Tile + 36, 12, SKColors.Black, SKTextAlign.Center);
        }

        return PngFile.Encode(surface);
    }

    /// <summary>Undoes the normalisation of preprocessed images [N, C, H, W] and returns uint8 [N, C, H, W] for display.</summary>
    internal static Tensor Display(Tensor inputs, Preprocessing? preprocessing)
    {
        using var scope = torch.NewDisposeScope();
        var x = inputs.detach().to(ScalarType.Float32).cpu();
        if (preprocessing is { Mean.Count: > 0 } p && p.Mean.Count == x.shape[1])
        {
            var mean = torch.tensor(p.Mean.Select(v => (float)v).ToArray()).view(1, -1, 1, 1);
            var std = torch.tensor(p.Std.Select(v => (float)v).ToArray()).view(1, -1, 1, 1);
            x = x.mul(std).add(mean, HeldScalars.One);
        }

        using var full = 255.ToScalar();
        using var low = 0.ToScalar();
        return (x * full).round().clamp(low, full).to(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    /// <summary>An image uint8 [C, H, W] blended with a map scaled to [0, 1], upsampled to the image if needed.</summary>
    internal static SKBitmap Overlay(Tensor image, Tensor map, double alpha)
    {
        using var scope = torch.NewDisposeScope();
        var (height, width) = (image.shape[1], image.shape[2]);
        var m = map.to(ScalarType.Float32).cpu();
        if (m.shape[0] != height || m.shape[1] != width)
        {
            m = nn.functional.interpolate(m.view(1, 1, m.shape[0], m.shape[1]), [height, width], mode: InterpolationMode.Bilinear, align_corners: false).view(height, width);
        }

        return Blend(image, ClassActivationMaps.Scale(m.unsqueeze(0))[0], alpha);
    }

    /// <summary>The colour of a value in [0, 1]: blue, cyan, green, yellow, red.</summary>
    internal static (byte R, byte G, byte B) Color(float value)
    {
        static byte Channel(float v) => (byte)Math.Round(255 * Math.Clamp(v, 0f, 1f));
        var x = Math.Clamp(value, 0f, 1f);
        return (Channel(1.5f - Math.Abs((4 * x) - 3)), Channel(1.5f - Math.Abs((4 * x) - 2)), Channel(1.5f - Math.Abs((4 * x) - 1)));
    }

    private static SKBitmap Blend(Tensor image, Tensor scaledMap, double alpha)
    {
        using var scope = torch.NewDisposeScope();
        var bytes = image.to(ScalarType.Byte).cpu();
        var (channels, height, width) = ((int)bytes.shape[0], (int)bytes.shape[1], (int)bytes.shape[2]);
        var rgb = (channels == 1 ? bytes.expand(3, height, width) : bytes.narrow(0, 0, 3)).permute(1, 2, 0).contiguous().data<byte>().ToArray();
        var values = scaledMap.to(ScalarType.Float32).contiguous().data<float>().ToArray();
        var rgba = new byte[width * height * 4];
        for (var p = 0; p < width * height; p++)
        {
            var (r, g, b) = Color(values[p]);
            rgba[(4 * p) + 0] = (byte)Math.Round(((1 - alpha) * rgb[(3 * p) + 0]) + (alpha * r));
            rgba[(4 * p) + 1] = (byte)Math.Round(((1 - alpha) * rgb[(3 * p) + 1]) + (alpha * g));
            rgba[(4 * p) + 2] = (byte)Math.Round(((1 - alpha) * rgb[(3 * p) + 2]) + (alpha * b));
            rgba[(4 * p) + 3] = 255;
        }

        var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }

    private static void DrawTile(SKCanvas canvas, SKBitmap bitmap, int x, int y)
    {
        const int Picture = Tile - 12;
        using var picture = SKImage.FromBitmap(bitmap);
        var filter = bitmap.Width < Picture / 2 ? SKFilterMode.Nearest : SKFilterMode.Linear;
        canvas.DrawImage(picture, SKRect.Create(x + 6, y + 6, Picture, Picture), new SKSamplingOptions(filter), null);
    }

    private static string Describe(CamMethod method) => method switch
    {
        CamMethod.GradCam => "Grad-CAM",
        CamMethod.GradCamPlusPlus => "Grad-CAM++",
        _ => "Score-CAM",
    };
}
