using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace CnnClassify.Tests.Data;

/// <summary>Writes photo-like JPEGs: lit gradients, soft and hard-edged shapes and sensor-like noise, 4:2:0 chroma as cameras store them.</summary>
internal static class TestPhotos
{
    /// <summary>Writes a <paramref name="width"/> x <paramref name="height"/> photo-like JPEG, optionally with an EXIF orientation.</summary>
    public static string Write(string path, int width, int height, int seed = 0, ushort? orientation = null, int quality = 90)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = Draw(width, height, seed);
        if (orientation is { } value)
        {
            image.Metadata.ExifProfile = new ExifProfile();
            image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, value);
        }

        image.SaveAsJpeg(path, new JpegEncoder { Quality = quality, ColorType = JpegColorType.YCbCrRatio420 });
        return path;
    }

    private static Image<Rgb24> Draw(int width, int height, int seed)
    {
        var random = new Random(seed);
        var shapes = Enumerable.Range(0, 6).Select(_ => (
            X: random.NextDouble() * width, Y: random.NextDouble() * height,
            R: (0.08 + (random.NextDouble() * 0.25)) * Math.Min(width, height),
            Color: (random.Next(256), random.Next(256), random.Next(256)), Hard: random.NextDouble() < 0.5)).ToArray();
        var image = new Image<Rgb24>(width, height);
        var noise = new Random(seed + 1);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var light = 0.55 + (0.45 * (x + y) / (width + height));
                double r = 90 * light, g = 120 * light, b = 160 * light;
                foreach (var s in shapes)
                {
                    var d = Math.Sqrt(((x - s.X) * (x - s.X)) + ((y - s.Y) * (y - s.Y))) / s.R;
                    var w = s.Hard ? (d < 1 ? 1 : 0) : Math.Max(0, 1 - (d * d));
                    (r, g, b) = (r + ((s.Color.Item1 - r) * w), g + ((s.Color.Item2 - g) * w), b + ((s.Color.Item3 - b) * w));
                }

                var grain = (noise.NextDouble() - 0.5) * 16;
                image[x, y] = new Rgb24(Clamp(r + grain), Clamp(g + grain), Clamp(b + grain));
            }
        }

        return image;
    }

    private static byte Clamp(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);
}
