using System.Globalization;
using CnnClassify.Evaluation.Plots;
using CnnClassify.Models;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Explanation;

/// <summary>
/// Shows what convolution does, as the article this library follows illustrates it: the
/// feature maps a layer makes of one image, and the filters of the first convolution.
/// </summary>
public static class FeatureMapPlot
{
    private const int Tile = 64;

    /// <summary>
    /// Writes the activations of <paramref name="layer"/> for one image as a grid of grey tiles,
    /// one per channel (each scaled to its own range), numbered by channel.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="layer">The layer's state-dict path, such as <c>features.0</c> or <c>layer1</c>.</param>
    /// <param name="image">One preprocessed image [C, H, W] or [1, C, H, W].</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="maxChannels">Channels to show at most (the first ones).</param>
    /// <returns>The number of channels drawn.</returns>
    /// <exception cref="ArgumentException">No such layer, or its output is not a map [1, C, h, w].</exception>
    public static int SaveActivations(nn.Module<Tensor, Tensor> model, string layer, Tensor image, string path, int maxChannels = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChannels, 1);
        var target = ModuleSurgery.Find(model, layer) as nn.Module<Tensor, Tensor>
            ?? throw new ArgumentException($"Layer '{layer}' does not map one tensor to one tensor.", nameof(layer));
        using var scope = torch.NewDisposeScope();
        Tensor? activation = null;
        var remover = target.register_forward_hook((_, _, output) =>
        {
            activation ??= output.detach().clone().DetachFromDisposeScope();
            return null!;
        });
        var wasTraining = model.training;
        try
        {
            model.eval();
            using var noGrad = torch.no_grad();
            var device = model.parameters().FirstOrDefault()?.device ?? CPU;
            model.call((image.dim() == 3 ? image.unsqueeze(0) : image).to(device));
        }
        finally
        {
            remover.remove();
            model.train(wasTraining);
        }

        using var captured = activation ?? throw new ArgumentException($"Layer '{layer}' did not run in the forward pass.", nameof(layer));
        if (captured.dim() != 4 || captured.shape[0] != 1)
        {
            throw new ArgumentException($"Layer '{layer}' outputs [{string.Join(", ", captured.shape)}], not a map [1, C, h, w].", nameof(layer));
        }

        var channels = (int)Math.Min(maxChannels, captured.shape[1]);
        var maps = ClassActivationMaps.Scale(captured[0].narrow(0, 0, channels).to(ScalarType.Float32).cpu());
        PngFile.Write(path, Grid(maps, $"Feature maps of '{layer}' ({captured.shape[1]} channels, {captured.shape[2]}x{captured.shape[3]})", i => i.ToString(CultureInfo.InvariantCulture)));
        return channels;
    }

    /// <summary>
    /// Writes the filters of the model's first convolution as small images: in colour when it
    /// reads three channels, otherwise one grey tile per filter (its first input channel); each
    /// filter is scaled to its own range.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <returns>The state-dict path of the convolution drawn.</returns>
    /// <exception cref="ArgumentException">The model has no 2-D convolution.</exception>
    public static string SaveFilters(nn.Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (name, conv) = model.named_modules().Select(m => (m.name, Module: m.module as TorchSharp.Modules.Conv2d)).FirstOrDefault(m => m.Module is not null);
        if (conv is null)
        {
            throw new ArgumentException($"{model.GetType().Name} has no Conv2d layer whose filters could be drawn.", nameof(model));
        }

        using var scope = torch.NewDisposeScope();
        var weight = conv.weight!.detach().to(ScalarType.Float32).cpu();
        var (outputs, inputs) = ((int)weight.shape[0], (int)weight.shape[1]);
        // Each filter scaled to [0, 1] over all its weights, so colour filters keep their balance.
        var scaled = ClassActivationMaps.Scale(weight.flatten(1)).view_as(weight);
        var tiles = inputs == 3 ? scaled : scaled.narrow(1, 0, 1);
        PngFile.Write(path, Grid(tiles, $"Filters of '{name}' ({outputs} of {inputs}x{weight.shape[2]}x{weight.shape[3]})", i => i.ToString(CultureInfo.InvariantCulture)));
        return name;
    }

    // A grid of tiles from [N, h, w] grey or [N, C, h, w] (C = 1 or 3) values in [0, 1].
    private static byte[] Grid(Tensor tiles, string title, Func<int, string> label)
    {
        using var scope = torch.NewDisposeScope();
        var images = tiles.dim() == 3 ? tiles.unsqueeze(1) : tiles;
        using var full = 255.ToScalar();
        var bytes = (images * full).round().to(ScalarType.Byte);
        var count = (int)bytes.shape[0];
        var columns = Math.Min(count, 8);
        var rows = (count + columns - 1) / columns;
        const int Top = 40, Caption = 16;
        var width = Math.Max(columns * (Tile + 8), (int)(title.Length * 7.5) + 20);
        using var surface = SKSurface.Create(new SKImageInfo(width, Top + (rows * (Tile + Caption + 8))));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        PngFile.DrawText(canvas, title, width / 2f, 26, 15, SKColors.Black, SKTextAlign.Center);
        for (var i = 0; i < count; i++)
        {
            var (x, y) = (4 + ((i % columns) * (Tile + 8)), Top + ((i / columns) * (Tile + Caption + 8)));
            using var bitmap = PredictionGridPlot.ToBitmap(bytes[i]);
            using var picture = SKImage.FromBitmap(bitmap);
            canvas.DrawImage(picture, SKRect.Create(x, y, Tile, Tile), new SKSamplingOptions(SKFilterMode.Nearest), null);
            PngFile.DrawText(canvas, label(i), x + (Tile / 2f), y + Tile + 13, 11, SKColors.DimGray, SKTextAlign.Center);
        }

        return PngFile.Encode(surface);
    }
}
