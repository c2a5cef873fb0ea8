using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CnnClassify.Tests.Training;

/// <summary>An image folder of easily separable grayscale PNGs: class c has a bright block in the c-th third of the image.</summary>
internal static class SeparableFolder
{
    public static readonly string[] Classes = ["left", "middle", "right"];

    /// <summary>Writes <paramref name="perClass"/> images of <paramref name="size"/>x<paramref name="size"/> per class under <paramref name="root"/>.</summary>
    /// <returns>The paths written, class by class.</returns>
    public static IReadOnlyList<string> Write(string root, int size, int perClass, int seed = 0)
    {
        var random = new Random(seed);
        var paths = new List<string>();
        for (var c = 0; c < Classes.Length; c++)
        {
            var directory = Path.Combine(root, Classes[c]);
            Directory.CreateDirectory(directory);
            for (var i = 0; i < perClass; i++)
            {
                using var image = new Image<L8>(size, size);
                for (var y = 0; y < size; y++)
                {
                    for (var x = 0; x < size; x++)
                    {
                        var bright = x * 3 / size == c;
                        image[x, y] = new L8((byte)(bright ? 160 + random.Next(90) : random.Next(70)));
                    }
                }

                var path = Path.Combine(directory, $"{i:D3}.png");
                image.SaveAsPng(path);
                paths.Add(path);
            }
        }

        return paths;
    }
}
