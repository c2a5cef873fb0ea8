using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CnnClassify.Serving.Hosting;

/// <summary>The image a model classifies before it reports ready: mid-grey, of its input size.</summary>
internal static class WarmUpImage
{
    public static MemoryStream Encode(int width, int height)
    {
        using var image = new Image<Rgb24>(Math.Max(1, width), Math.Max(1, height), new Rgb24(128, 128, 128));
        var stream = new MemoryStream();
        image.SaveAsPng(stream);
        stream.Position = 0;
        return stream;
    }
}
