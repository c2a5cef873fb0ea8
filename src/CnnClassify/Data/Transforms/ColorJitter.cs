using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data.Transforms;

/// <summary>
/// Randomly changes brightness, contrast, saturation and hue, in a random order, as torchvision's
/// <c>ColorJitter</c>. Factors are drawn from [1 - x, 1 + x]; the hue shift from [-h, h] turns.
/// </summary>
public sealed class ColorJitter : IImageTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="brightness">Brightness spread, at least 0.</param>
    /// <param name="contrast">Contrast spread, at least 0.</param>
    /// <param name="saturation">Saturation spread, at least 0.</param>
    /// <param name="hue">Hue spread in turns, in [0, 0.5].</param>
    public ColorJitter(double brightness = 0, double contrast = 0, double saturation = 0, double hue = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(brightness);
        ArgumentOutOfRangeException.ThrowIfNegative(contrast);
        ArgumentOutOfRangeException.ThrowIfNegative(saturation);
        ArgumentOutOfRangeException.ThrowIfNegative(hue);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hue, 0.5);
        (Brightness, Contrast, Saturation, Hue) = (brightness, contrast, saturation, hue);
    }

    /// <summary>Brightness spread.</summary>
    public double Brightness { get; }

    /// <summary>Contrast spread.</summary>
    public double Contrast { get; }

    /// <summary>Saturation spread.</summary>
    public double Saturation { get; }

    /// <summary>Hue spread in turns.</summary>
    public double Hue { get; }

    /// <inheritdoc />
    public Tensor Apply(Tensor image, Random random)
    {
        ImageOps.RequireImage(image, nameof(ColorJitter));
        var order = new[] { 0, 1, 2, 3 };
        random.Shuffle(order);
        var brightness = ImageOps.Uniform(random, Math.Max(0, 1 - Brightness), 1 + Brightness);
        var contrast = ImageOps.Uniform(random, Math.Max(0, 1 - Contrast), 1 + Contrast);
        var saturation = ImageOps.Uniform(random, Math.Max(0, 1 - Saturation), 1 + Saturation);
        var hue = ImageOps.Uniform(random, -Hue, Hue);
        return ImageOps.InUnitRange(image, x =>
        {
            foreach (var step in order)
            {
                x = step switch
                {
                    0 when Brightness > 0 => (x * brightness).clamp(0, 1),
                    1 when Contrast > 0 => Blend(x, Gray(x).mean(), contrast),
                    2 when Saturation > 0 && x.shape[0] == 3 => Blend(x, Gray(x), saturation),
                    3 when Hue > 0 && x.shape[0] == 3 => ShiftHue(x, hue),
                    _ => x,
                };
            }

            return x.clone();
        });
    }

    private static Tensor Gray(Tensor x) => x.shape[0] == 3 ? (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]).unsqueeze(0) : x;

    private static Tensor Blend(Tensor x, Tensor other, double factor) => ((factor * x) + ((1 - factor) * other)).clamp(0, 1);

    // RGB -> HSV, rotate the hue by `shift` turns, HSV -> RGB.
    private static Tensor ShiftHue(Tensor x, double shift)
    {
        var (r, g, b) = (x[0], x[1], x[2]);
        var max = x.amax([0L]);
        var min = x.amin([0L]);
        var delta = max - min;
        var safe = torch.where(delta == 0, torch.ones_like(delta), delta);
        var h = torch.where(max == r, (g - b) / safe, torch.where(max == g, ((b - r) / safe) + 2, ((r - g) / safe) + 4));
        h = torch.where(delta == 0, torch.zeros_like(h), h);
        h = ((h / 6) + shift).remainder(1.0);
        var s = torch.where(max == 0, torch.zeros_like(max), delta / torch.where(max == 0, torch.ones_like(max), max));
        var v = max;
        var i = (h * 6).floor();
        var f = (h * 6) - i;
        var p = v * (1 - s);
        var q = v * (1 - (s * f));
        var t = v * (1 - (s * (1 - f)));
        var sector = i.remainder(6).to(ScalarType.Int64);
        Tensor Pick(Tensor a0, Tensor a1, Tensor a2, Tensor a3, Tensor a4, Tensor a5) =>
            torch.stack([a0, a1, a2, a3, a4, a5]).gather(0, sector.unsqueeze(0)).squeeze(0);
        return torch.stack([Pick(v, q, p, p, t, v), Pick(t, v, v, q, p, p), Pick(p, p, t, v, v, q)]);
    }
}
