using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using CnnClassify.Serving.Hosting;
using Microsoft.AspNetCore.Http;

namespace CnnClassify.Serving.DemoPage;

/// <summary>
/// The demo page: one self-contained HTML file (no CDN, no framework) with the served models and
/// limits written into it, its inline script and style allowed by a per-response nonce.
/// </summary>
internal static class DemoPageResult
{
    private static readonly Lazy<string> Template = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("CnnClassify.Serving.demo.html")
            ?? throw new InvalidOperationException("The demo page is missing from the CnnClassify.AspNetCore assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IResult Render(HttpContext context, ModelCatalog catalog, ImageClassifierOptions options, string pattern)
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var models = catalog.Models.OrderBy(m => m.Name, StringComparer.Ordinal).Select(m => new
        {
            name = m.Name,
            url = context.Request.PathBase + pattern.Replace("{name}", Uri.EscapeDataString(m.Name), StringComparison.Ordinal),
            explains = m.Explainer is not null,
            runtime = m.Description.Runtime,
            architecture = m.Description.Architecture,
            task = m.Description.Task,
            classes = m.Description.ClassNames.Count,
        });
        // System.Text.Json escapes <, > and & by default, so the configuration cannot close its script element.
        var config = JsonSerializer.Serialize(new { models, maxUploadBytes = options.MaxUploadBytes, maxPixels = options.MaxPixels, contentTypes = options.AllowedContentTypes, top = options.DefaultTop }, Json);
        var html = Template.Value.Replace("{{NONCE}}", nonce, StringComparison.Ordinal).Replace("{{CONFIG}}", config, StringComparison.Ordinal);
        context.Response.Headers.ContentSecurityPolicy = $"default-src 'self'; img-src 'self' blob: data:; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.CacheControl = "no-store";
        return Results.Content(html, "text/html; charset=utf-8");
    }
}
