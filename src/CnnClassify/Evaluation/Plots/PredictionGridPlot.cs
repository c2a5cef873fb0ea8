using System.Globalization;
using CnnClassify.Data;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Evaluation.Plots;

/// <summary>
/// Draws a grid of images with their true class, predicted class and confidence, captions in
/// green when right and red when wrong: sample predictions, or the top losses.
/// </summary>
public static class PredictionGridPlot
{
    /// <summary>Writes a grid of the first <paramref name="count"/> evaluated samples.</summary>
    /// <param name="predictions">The predictions.</param>
    /// <param name="dataset">The dataset the predictions were made on (for the images).</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="count">Images to show.</param>
    /// <param name="columns">Images per row.</param>
    public static void SaveSamples(PredictionSet predictions, IImageDataset dataset, string path, int count = 16, int columns = 4)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentException.ThrowIfNullOrEmpty(path);
        PngFile.Write(path, Render(predictions.Samples.Take(count).ToList(), predictions.ClassNames, dataset, columns, "Sample predictions"));
    }

    /// <summary>Writes a grid of the most confidently wrong samples.</summary>
    /// <param name="predictions">The predictions.</param>
    /// <param name="dataset">The dataset the predictions were made on (for the images).</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="count">Images to show.</param>
    /// <param name="columns">Images per row.</param>
    public static void SaveTopLosses(PredictionSet predictions, IImageDataset dataset, string path, int count = 16, int columns = 4)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        PngFile.Write(path, RenderTopLosses(predictions, dataset, count, columns));
    }

    /// <summary>Draws the top-losses grid and encodes it as PNG.</summary>
    internal static byte[] RenderTopLosses(PredictionSet predictions, IImageDataset dataset, int count = 16, int columns = 4)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        return Render(predictions.TopLosses(count), predictions.ClassNames, dataset, columns, "Top losses (most confidently wrong)");
    }

    private static byte[] Render(IReadOnlyList<SamplePrediction> samples, IReadOnlyList<string> classNames, IImageDataset dataset, int columns, string title)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        const int Cell = 160, Picture = 112, Top = 40;
        var rows = Math.Max(1, (samples.Count + columns - 1) / columns);
        using var surface = SKSurface.Create(new SKImageInfo(columns * Cell, Top + (rows * Cell)));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        PngFile.DrawText(canvas, samples.Count == 0 ? $"{title}: none" : title, columns * Cell / 2f, 26, 16, SKColors.Black, SKTextAlign.Center);
        for (var i = 0; i < samples.Count; i++)
        {
            var sample = samples[i];
            var (x, y) = ((i % columns) * Cell, Top + ((i / columns) * Cell));
            using (var image = dataset.Read(sample.Index))
            using (var bitmap = ToBitmap(image.Image))
            using (var picture = SKImage.FromBitmap(bitmap))
            using (var paint = new SKPaint())
            {
                var destination = SKRect.Create(x + ((Cell - Picture) / 2f), y + 4, Picture, Picture);
                canvas.DrawImage(picture, destination, new SKSamplingOptions(SKFilterMode.Nearest), paint);
            }

            var color = sample.Predicted == sample.Target ? new SKColor(0, 128, 0) : new SKColor(200, 0, 0);
            PngFile.DrawText(canvas, $"true: {classNames[sample.Target]}", x + (Cell / 2f), y + Picture + 20, 12, SKColors.Black, SKTextAlign.Center);
            var caption = $"pred: {classNames[sample.Predicted]} ({sample.Confidence.ToString("P0", CultureInfo.InvariantCulture)})";
            PngFile.DrawText(canvas, caption, x + (Cell / 2f), y + Picture + 36, 12, color, SKTextAlign.Center);
        }

        return PngFile.Encode(surface);
    }

    // A uint8 [C, H, W] image (C = 1 or 3) as an RGBA bitmap.
    internal static SKBitmap ToBitmap(Tensor image)
    {
        using var scope = torch.NewDisposeScope();
        var bytes = image.to(ScalarType.Byte);
        var (channels, height, width) = ((int)bytes.shape[0], (int)bytes.shape[1], (int)bytes.shape[2]);
        var rgb = (channels == 1 ? bytes.expand(3, height, width) : bytes.narrow(0, 0, 3)).permute(1, 2, 0).contiguous();
        var pixels = rgb.data<byte>().ToArray();
        var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var rgba = new byte[width * height * 4];
        for (var p = 0; p < width * height; p++)
        {
            rgba[(4 * p) + 0] = pixels[(3 * p) + 0];
            rgba[(4 * p) + 1] = pixels[(3 * p) + 1];
            rgba[(4 * p) + 2] = pixels[(3 * p) + 2];
            rgba[(4 * p) + 3] = 255;
        }

        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }
}
