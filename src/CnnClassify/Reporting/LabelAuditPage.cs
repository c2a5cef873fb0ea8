using System.Globalization;
using System.Net;
using System.Text;
using CnnClassify.Data;
using CnnClassify.Evaluation;
using CnnClassify.Evaluation.Plots;
using SkiaSharp;

namespace CnnClassify.Reporting;

/// <summary>
/// One self-contained HTML page of a label audit: the most suspect samples as thumbnails with their
/// given and suggested labels, the confident joint, and the near-duplicate pairs side by side.
/// Images are embedded; the page loads nothing else and runs no script.
/// </summary>
public static class LabelAuditPage
{
    /// <summary>Writes the page.</summary>
    /// <param name="path">The HTML file.</param>
    /// <param name="audit">The audit.</param>
    /// <param name="data">The audited dataset, for the thumbnails and file names.</param>
    /// <param name="duplicates">Near-duplicate pairs, or none.</param>
    /// <param name="count">How many of the most suspect samples to show, from 1 to 1,000.</param>
    public static void Save(string path, LabelAuditResult audit, IImageDataset data, IReadOnlyList<NearDuplicate>? duplicates = null, int count = 100)
    {
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 1000);
        var files = LabelAuditResult.Sources(data);
        var root = RootOf(data);
        string source(int index) => root is not null && files(index) is { Length: > 0 } file ? Path.GetRelativePath(root, file) : files(index);
        var names = audit.ClassNames;
        var html = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Label audit</title>\n<style>")
            .Append("body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:2em auto;max-width:1500px;padding:0 1em;color:#222}")
            .Append("h2{border-bottom:1px solid #ccc;padding-bottom:0.2em;margin-top:1.6em}.grid{display:flex;flex-wrap:wrap;gap:0.8em}")
            .Append("figure{margin:0;width:9.5em;font-size:0.8em;border:1px solid #ddd;border-radius:6px;padding:0.4em}figure img{width:100%;image-rendering:pixelated}")
            .Append("figcaption .given{color:#b00}figcaption .suggested{color:#060}.issue{font-weight:bold}.file{color:#666;word-break:break-all}")
            .Append("table{border-collapse:collapse}th,td{padding:0.2em 0.6em;border-bottom:1px solid #eee;text-align:right}.pair{display:flex;gap:0.4em;align-items:flex-start}")
            .Append("</style>\n</head>\n<body>\n<h1>Label audit</h1>\n");
        var issues = audit.Issues.Count;
        html.Append(CultureInfo.InvariantCulture, $"<p>{audit.Ranked.Count:N0} samples audited by confident learning on out-of-sample probabilities; <b>{issues:N0}</b> ({(double)issues / audit.Ranked.Count:P1}) counted as mislabelled. Ranked by self-confidence, the probability of the given label, lowest first.</p>\n");
        html.Append(CultureInfo.InvariantCulture, $"<section id=\"suspects\">\n<h2>The {Math.Min(count, audit.Ranked.Count)} most suspect labels</h2>\n<div class=\"grid\">\n");
        foreach (var row in audit.Ranked.Take(count))
        {
            html.Append("<figure").Append(row.IsIssue ? " class=\"issue\"" : string.Empty).Append('>').Append(Thumbnail(data, row.Index))
                .Append(CultureInfo.InvariantCulture, $"<figcaption>#{row.Rank}{(row.IsIssue ? " issue" : string.Empty)}<br><span class=\"given\">given: {E(names[row.Given])} ({row.SelfConfidence:P0})</span><br><span class=\"suggested\">suggested: {E(names[row.Suggested])} ({row.SuggestedProbability:P0})</span><br><span class=\"file\">{E(Name(source(row.Index), row.Index))}</span></figcaption></figure>\n");
        }

        html.Append("</div>\n</section>\n<section id=\"confident-joint\">\n<h2>Confident joint (rows: given label, columns: confidently predicted)</h2>\n<table>\n<tr><th></th>");
        foreach (var name in names)
        {
            html.Append("<th>").Append(E(name)).Append("</th>");
        }

        html.Append("</tr>\n");
        for (var i = 0; i < names.Count; i++)
        {
            html.Append("<tr><th>").Append(E(names[i])).Append("</th>");
            for (var j = 0; j < names.Count; j++)
            {
                html.Append(CultureInfo.InvariantCulture, $"<td>{audit.ConfidentJoint(i, j):N0}</td>");
            }

            html.Append("</tr>\n");
        }

        html.Append("</table>\n</section>\n<section id=\"near-duplicates\">\n<h2>Near-duplicate images</h2>\n");
        if (duplicates is not { Count: > 0 })
        {
            html.Append("<p>None found.</p>\n");
        }
        else
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>{duplicates.Count:N0} pair{(duplicates.Count == 1 ? string.Empty : "s")}; those labelled differently first.</p>\n<div class=\"grid\">\n");
            foreach (var pair in duplicates.Take(count))
            {
                html.Append("<figure style=\"width:19.5em\"><div class=\"pair\">").Append(Thumbnail(data, pair.First)).Append(Thumbnail(data, pair.Second))
                    .Append(CultureInfo.InvariantCulture, $"</div><figcaption>{(pair.Conflicting ? "<span class=\"given\">labels differ</span>" : "same label")}, {pair.Distance} bits apart<br>")
                    .Append(CultureInfo.InvariantCulture, $"<span class=\"file\">{E(Name(source(pair.First), pair.First))} ({E(Labels(data, pair.First, names))})<br>{E(Name(source(pair.Second), pair.Second))} ({E(Labels(data, pair.Second, names))})</span></figcaption></figure>\n");
            }

            html.Append("</div>\n");
        }

        html.Append("</section>\n</body>\n</html>\n");
        Serialization.AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(html.ToString())));
    }

    /// <summary>The longest side of a thumbnail, in pixels.</summary>
    private const int ThumbnailSide = 128;

    private static string E(string text) => WebUtility.HtmlEncode(text);

    // An image folder's root, so that files are named within it.
    private static string? RootOf(IImageDataset data) => data switch
    {
        ImageFolderDataset folder => folder.Root,
        Subset subset => RootOf(subset.Source),
        _ => null,
    };

    private static string Name(string file, int index) => file.Length > 0 ? file : $"sample {index}";

    private static string Labels(IImageDataset data, int index, IReadOnlyList<string> names) => string.Join(", ", data.LabelsAt(index).Select(k => names[k]));

    // The sample's image as an embedded PNG, or a note when it cannot be read.
    private static string Thumbnail(IImageDataset data, int index)
    {
        try
        {
            using var sample = data.Read(index);
            using var full = PredictionGridPlot.ToBitmap(sample.Image);
            var scale = Math.Min(1.0, (double)ThumbnailSide / Math.Max(full.Width, full.Height));
            using var bitmap = scale < 1 ? full.Resize(new SKImageInfo(Math.Max(1, (int)(full.Width * scale)), Math.Max(1, (int)(full.Height * scale))), new SKSamplingOptions(SKFilterMode.Linear)) : full.Copy();
            using var image = SKImage.FromBitmap(bitmap);
            using var png = image.Encode(SKEncodedImageFormat.Png, 100);
            return $"<img alt=\"sample {index}\" src=\"data:image/png;base64,{Convert.ToBase64String(png.ToArray())}\">";
        }
        catch (InvalidImageException ex)
        {
            return $"<p>{E(ex.Message)}</p>";
        }
    }
}
