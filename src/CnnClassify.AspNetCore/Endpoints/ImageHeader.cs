using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Metadata;

namespace CnnClassify.Serving.Endpoints;

/// <summary>Reads an upload's size from its header alone, so that a claimed 60,000 x 60,000 image is refused before any pixel is decoded.</summary>
internal static class ImageHeader
{
    // Only the first frame or page of a GIF or TIFF is looked at, as the predictors decode them.
    private static readonly Configuration FirstFrame = CreateConfiguration();

    public static void Check(UploadedImage upload, long maxPixels)
    {
        IImageInfo? info;
        try
        {
            info = Image.Identify(FirstFrame, upload.Content);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw ServingProblem.BadRequest($"'{upload.Name}' is not a readable image: its header cannot be read ({ex.Message}).");
        }
        finally
        {
            upload.Content.Position = 0;
        }

        if (info is null)
        {
            throw ServingProblem.BadRequest($"'{upload.Name}' is not a JPEG, PNG, BMP, GIF, TIFF or WebP image.");
        }

        if (info.Width < 1 || info.Height < 1 || (long)info.Width * info.Height > maxPixels)
        {
            throw ServingProblem.TooLarge($"'{upload.Name}' is {info.Width:N0}x{info.Height:N0} pixels; the limit is {maxPixels:N0} pixels.");
        }
    }

    private static Configuration CreateConfiguration()
    {
        var configuration = Configuration.Default.Clone();
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        configuration.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        return configuration;
    }
}
