using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CnnClassify.Tests.Data;

/// <summary>Writes small generated images for the data tests.</summary>
internal static class TestImages
{
    public static readonly string[] Formats = [".jpg", ".png", ".bmp", ".gif", ".webp"];

    /// <summary>An image whose pixel (x, y) is (x * 7 + seed, y * 11, (x + y) * 3) mod 256.</summary>
    public static Image<Rgb24> Pattern(int width, int height, int seed = 0)
    {
        var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24((byte)((x * 7) + seed), (byte)(y * 11), (byte)((x + y) * 3));
            }
        }

        return image;
    }

    public static string Write(string path, int width = 12, int height = 10, int seed = 0)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = Pattern(width, height, seed);
        image.Save(path);
        return path;
    }
}
