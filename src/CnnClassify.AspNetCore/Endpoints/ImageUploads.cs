using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace CnnClassify.Serving.Endpoints;

/// <summary>One uploaded image: its name (the multipart file name, or <c>upload</c>) and its bytes; dispose it to give them back to the pool.</summary>
internal sealed class UploadedImage(string name, UploadBuffer content) : IDisposable
{
    public string Name { get; } = name;

    public UploadBuffer Content { get; } = content;

    public void Dispose() => Content.Dispose();
}

/// <summary>
/// Reads the images of a request, as a raw body with an image content type or as the file parts of
/// <c>multipart/form-data</c>, within the size and count limits: a declared length over the limit
/// is refused before a byte is read, and reading stops at the first byte beyond it.
/// </summary>
internal static class ImageUploads
{
    private const int MaxBoundaryLength = 70;
    private const int MaxNonFileParts = 16;

    public static async Task<List<UploadedImage>> ReadAsync(HttpRequest request, ImageClassifierOptions options, int maxImages, long maxBytes, CancellationToken cancellation)
    {
        if (request.ContentLength is { } declared && declared > maxBytes)
        {
            throw ServingProblem.TooLarge($"The body is {declared:N0} bytes; the limit is {maxBytes:N0}.");
        }

        if (request.ContentLength == 0)
        {
            throw ServingProblem.BadRequest("The body is empty; send an image.");
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || mediaType.MediaType.Value is not { } type)
        {
            throw ServingProblem.Unsupported($"The request has no usable Content-Type; send one of {string.Join(", ", options.AllowedContentTypes)}, or multipart/form-data.");
        }

        if (type.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return await ReadMultipartAsync(request, mediaType, options, maxImages, maxBytes, cancellation).ConfigureAwait(false);
        }

        RequireAllowed(options, type, "the body");
        var content = await CopyAsync("upload", request.Body, maxBytes, cancellation).ConfigureAwait(false);
        if (content.Content.Length == 0)
        {
            content.Dispose();
            throw ServingProblem.BadRequest("The body is empty; send an image.");
        }

        return [content];
    }

    private static async Task<List<UploadedImage>> ReadMultipartAsync(HttpRequest request, MediaTypeHeaderValue mediaType, ImageClassifierOptions options, int maxImages, long maxBytes, CancellationToken cancellation)
    {
        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > MaxBoundaryLength)
        {
            throw ServingProblem.BadRequest($"The multipart boundary is missing or longer than {MaxBoundaryLength} characters.");
        }

        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024, BodyLengthLimit = maxBytes };
        var images = new List<UploadedImage>();
        var total = 0L;
        var others = 0;
        try
        {
            while (await reader.ReadNextSectionAsync(cancellation).ConfigureAwait(false) is { } section)
            {
                var disposition = section.GetContentDispositionHeader();
                if (disposition is null || !disposition.IsFileDisposition())
                {
                    if (++others > MaxNonFileParts)
                    {
                        throw ServingProblem.BadRequest($"The form has more than {MaxNonFileParts} parts that are not files.");
                    }

                    await section.Body.DrainAsync(cancellation).ConfigureAwait(false);
                    continue;
                }

                var name = disposition.FileName.HasValue ? HeaderUtilities.RemoveQuotes(disposition.FileName).Value! : "upload";
                name = name.Length > 200 ? name[..200] : name;
                if (images.Count == maxImages)
                {
                    throw ServingProblem.BadRequest(maxImages == 1 ? "The form holds more than one file; this endpoint classifies one image (use /classify/batch for several)." : $"The form holds more than {maxImages} files, the limit of one request.");
                }

                RequireAllowed(options, section.ContentType is { } partType && MediaTypeHeaderValue.TryParse(partType, out var parsed) ? parsed.MediaType.Value : null, $"the part '{name}'");
                var content = await CopyAsync(name, section.Body, maxBytes - total, cancellation).ConfigureAwait(false);
                images.Add(content);
                if (content.Content.Length == 0)
                {
                    throw ServingProblem.BadRequest($"The part '{name}' is empty.");
                }

                total += content.Content.Length;
            }
        }
        catch (Exception ex) when (ex is not InvalidDataException)
        {
            images.ForEach(image => image.Dispose());
            throw;
        }
        catch (InvalidDataException ex)
        {
            // The multipart reader's own limits and syntax errors.
            images.ForEach(image => image.Dispose());
            throw ex.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase)
                ? ServingProblem.TooLarge($"The form is larger than the limit of {maxBytes:N0} bytes.")
                : ServingProblem.BadRequest($"The multipart form cannot be read: {ex.Message}");
        }

        return images.Count == 0 ? throw ServingProblem.BadRequest("The form holds no file; send the image as a file part.") : images;
    }

    private static void RequireAllowed(ImageClassifierOptions options, string? type, string what)
    {
        if (type is null || !options.AllowedContentTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
        {
            throw ServingProblem.Unsupported($"The content type of {what} is '{type ?? "none"}'; accepted: {string.Join(", ", options.AllowedContentTypes)}.");
        }
    }

    // Copies at most `limit` bytes; one byte more is refused as too large. Memory is taken as bytes
    // arrive, never for what a Content-Length only declares.
    private static async Task<UploadedImage> CopyAsync(string name, Stream body, long limit, CancellationToken cancellation)
    {
        var content = new UploadBuffer();
        try
        {
            if (!await content.FillAsync(body, limit, cancellation).ConfigureAwait(false))
            {
                throw ServingProblem.TooLarge($"The upload is larger than the limit of {limit:N0} bytes.");
            }

            return new UploadedImage(name, content);
        }
        catch
        {
            content.Dispose();
            throw;
        }
    }
}
