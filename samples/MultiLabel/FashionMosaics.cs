using CnnClassify.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace MultiLabel;

/// <summary>
/// A generated multi-label dataset: each image a 2x2 grid of 28x28 cells holding 0 to 4
/// Fashion-MNIST items in random cells, labelled with the set of the items' classes, written as
/// PNG files and a CSV table (<c>image,labels</c>, labels joined by <c>;</c>).
/// </summary>
public static class FashionMosaics
{
    /// <summary>Writes <paramref name="count"/> mosaics of <paramref name="source"/>'s items and their table.</summary>
    /// <param name="source">Fashion-MNIST (or any dataset of 28x28 grayscale images).</param>
    /// <param name="folder">Where the table goes; the images go to its <c>images</c> subfolder.</param>
    /// <param name="name">The table's name without <c>.csv</c>, which also prefixes the image files.</param>
    /// <param name="count">Mosaics to write.</param>
    /// <param name="seed">Chooses the items and cells.</param>
    /// <returns>The table's path.</returns>
    public static string Write(IImageDataset source, string folder, string name, int count, int seed)
    {
        var random = new Random(seed);
        var images = Path.Combine(folder, "images");
        Directory.CreateDirectory(images);
        var rows = new List<string> { "image,labels" };
        for (var m = 0; m < count; m++)
        {
            using var mosaic = new Image<L8>(56, 56);
            var labels = new SortedSet<string>(StringComparer.Ordinal);
            var cells = Enumerable.Range(0, 4).OrderBy(_ => random.Next()).Take(random.Next(5)).ToList();
            foreach (var cell in cells)
            {
                using var item = source.Read(random.Next(source.Count));
                var pixels = item.Image.data<byte>().ToArray();
                labels.Add(source.Classes[(int)item.Label]);
                for (var y = 0; y < 28; y++)
                {
                    for (var x = 0; x < 28; x++)
                    {
                        mosaic[((cell % 2) * 28) + x, ((cell / 2) * 28) + y] = new L8(pixels[(y * 28) + x]);
                    }
                }
            }

            var file = $"{name}{m:D5}.png";
            mosaic.SaveAsPng(Path.Combine(images, file));
            rows.Add($"images/{file},{string.Join(';', labels)}");
        }

        var table = Path.Combine(folder, $"{name}.csv");
        File.WriteAllLines(table, rows);
        return table;
    }
}
