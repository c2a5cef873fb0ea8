using System.Diagnostics;
using System.Globalization;
using CnnClassify.Data;
using CnnClassify.Inference;
using CnnClassify.Serving.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CnnClassify.Serving.Endpoints;

/// <summary>
/// What each endpoint does, in the order every request goes through: find the model, admit the
/// images (or answer 503), read them within the limits, check each header, prepare them in
/// parallel, classify them through the batcher, and answer, all within the request's timeout and
/// its client's connection.
/// </summary>
internal sealed partial class ClassificationHandler(ModelCatalog catalog, IOptions<ImageClassifierOptions> options, ServingMetrics metrics, ILogger<ClassificationHandler> logger)
{
    private ImageClassifierOptions Options => options.Value;

    public IResult Describe(string name)
    {
        if (!catalog.TryGet(name, out var model))
        {
            return NotFound(name);
        }

        var o = Options;
        return Results.Ok(new ModelResponse(model.Name, model.Ready, model.Explainer is not null, model.Description, new ServingLimits(o.MaxUploadBytes, o.MaxBatchUploadBytes, o.MaxImagesPerRequest, o.MaxPixels, [.. o.AllowedContentTypes])));
    }

    public Task<IResult> ClassifyAsync(HttpContext context, string name) =>
        ServeAsync(context, name, 1, Options.MaxUploadBytes, async (model, images, query, cancellation) =>
        {
            var prediction = await model.Batcher.ClassifyAsync(images[0], cancellation).ConfigureAwait(false);
            var answer = Answer(prediction, query);
            return Results.Ok(new ClassificationResponse(model.Name, model.Description.Task, answer.Source, answer.Labels, answer.Top));
        });

    public Task<IResult> ClassifyBatchAsync(HttpContext context, string name) =>
        ServeAsync(context, name, Options.MaxImagesPerRequest, Options.MaxBatchUploadBytes, async (model, images, query, cancellation) =>
        {
            var predictions = await Task.WhenAll(images.Select(image => model.Batcher.ClassifyAsync(image, cancellation))).ConfigureAwait(false);
            return Results.Ok(new BatchClassificationResponse(model.Name, model.Description.Task, [.. predictions.Select(p => Answer(p, query))]));
        });

    public Task<IResult> ExplainAsync(HttpContext context, string name)
    {
        // Refused before the upload is read when the model cannot explain at all.
        if (catalog.TryGet(name, out var served) && served.Explainer is null)
        {
            metrics.Request(served.Name, Outcomes.BadRequest, -1);
            return Task.FromResult(Problem(StatusCodes.Status400BadRequest, "The model cannot explain", $"The model '{served.Name}' runs on {served.Description.Runtime}, which gives no gradients for Grad-CAM; serve its checkpoint to explain.", served.Name));
        }

        return ServeAsync(context, name, 1, Options.MaxUploadBytes, async (model, images, query, cancellation) =>
        {
            using var image = images[0];
            var explainer = model.Explainer!;
            var className = context.Request.Query["class"].FirstOrDefault();
            ExplainedOverlay overlay;
            try
            {
                overlay = await Task.Run(() => explainer.Explain(image, className), cancellation).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                throw ServingProblem.BadRequest(ex.Message);
            }

            context.Response.Headers["X-Explained-Class"] = Uri.EscapeDataString(overlay.ClassName);
            return Results.File(overlay.Png, "image/png");
        });
    }

    private async Task<IResult> ServeAsync(HttpContext context, string name, int maxImages, long maxBytes, Func<ServedModel, List<PreparedImage>, RequestQuery, CancellationToken, Task<IResult>> run)
    {
        var started = Stopwatch.GetTimestamp();
        if (!catalog.TryGet(name, out var model))
        {
            // One tag for every unknown name, so that made-up names cannot multiply the metric's series.
            metrics.Request("(unknown)", Outcomes.NotFound, -1);
            return NotFound(name);
        }

        string outcome = Outcomes.Ok;
        try
        {
            if (!model.Ready)
            {
                outcome = Outcomes.NotReady;
                return Unavailable(context, model.Name, "The model is not ready", $"The model '{model.Name}' is warming up.");
            }

            // One place is taken before the body is read; a batch takes the rest once its files are counted.
            if (!model.TryAdmit(1))
            {
                throw Overloaded(model);
            }

            try
            {
                return await AdmittedAsync(context, model, maxImages, maxBytes, run).ConfigureAwait(false);
            }
            finally
            {
                model.Release(1);
            }
        }
        catch (ServingProblem problem)
        {
            outcome = problem.Outcome;
            if (problem.Status == StatusCodes.Status503ServiceUnavailable)
            {
                context.Response.Headers.RetryAfter = RetryAfterSeconds;
            }

            Refused(logger, model.Name, problem.Status, problem.Message);
            return Problem(problem.Status, problem.Title, problem.Message, model.Name);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            outcome = Outcomes.Aborted;
            return Results.Empty;
        }
        catch (OperationCanceledException)
        {
            outcome = Outcomes.Timeout;
            return Problem(StatusCodes.Status504GatewayTimeout, "The request timed out", $"The request took longer than {Options.RequestTimeout.TotalSeconds:0.###} s.", model.Name);
        }
        catch (Exception ex) when (IsClientGone(context, ex))
        {
            outcome = Outcomes.Aborted;
            return Results.Empty;
        }
        catch (BadHttpRequestException ex)
        {
            outcome = ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? Outcomes.TooLarge : Outcomes.BadRequest;
            return Problem(ex.StatusCode, "The request cannot be read", ex.Message, model.Name);
        }
        catch (Exception ex)
        {
            outcome = Outcomes.Error;
            Failed(logger, model.Name, ex);
            return Problem(StatusCodes.Status500InternalServerError, "The model failed", "The model could not classify the image; the server's log has the details.", model.Name);
        }
        finally
        {
            metrics.Request(model.Name, outcome, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private async Task<IResult> AdmittedAsync(HttpContext context, ServedModel model, int maxImages, long maxBytes, Func<ServedModel, List<PreparedImage>, RequestQuery, CancellationToken, Task<IResult>> run)
    {
        // The server's own limit (Kestrel's is 30 MB by default) follows the option, with room for multipart headers;
        // ImageUploads counts the bytes of the images themselves.
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = maxBytes + (1 << 20);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(Options.RequestTimeout);
        var query = Query(context.Request, model);
        var uploads = await ImageUploads.ReadAsync(context.Request, Options, maxImages, maxBytes, timeout.Token).ConfigureAwait(false);
        var extra = uploads.Count - 1;
        if (extra > 0 && !model.TryAdmit(extra))
        {
            uploads.ForEach(u => u.Dispose());
            throw Overloaded(model);
        }

        try
        {
            return await PreparedAsync(model, uploads, query, run, timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            model.Release(Math.Max(0, extra));
        }
    }

    private async Task<IResult> PreparedAsync(ServedModel model, List<UploadedImage> uploads, RequestQuery query, Func<ServedModel, List<PreparedImage>, RequestQuery, CancellationToken, Task<IResult>> run, CancellationToken cancellation)
    {
        var prepared = new PreparedImage?[uploads.Count];
        try
        {
            if (uploads.Count == 1)
            {
                prepared[0] = Prepare(model, uploads[0]);
            }
            else
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, uploads.Count), cancellation, (i, _) =>
                {
                    prepared[i] = Prepare(model, uploads[i]);
                    return ValueTask.CompletedTask;
                }).ConfigureAwait(false);
            }
        }
        catch
        {
            foreach (var image in prepared)
            {
                image?.Dispose();
            }

            throw;
        }
        finally
        {
            uploads.ForEach(u => u.Dispose());
        }

        // From here the batcher owns the images.
        return await run(model, [.. prepared.Select(p => p!)], query, cancellation).ConfigureAwait(false);
    }

    private PreparedImage Prepare(ServedModel model, UploadedImage upload)
    {
        var started = Stopwatch.GetTimestamp();
        ImageHeader.Check(upload, Options.MaxPixels);
        try
        {
            var prepared = model.Classifier.Prepare(upload.Content, upload.Name);
            metrics.Preprocessed(model.Name, Stopwatch.GetElapsedTime(started).TotalSeconds);
            return prepared;
        }
        catch (InvalidImageException ex)
        {
            throw ex.ExceedsPixelLimit ? ServingProblem.TooLarge(ex.Message) : ServingProblem.BadRequest(ex.Message);
        }
    }

    // `top` (1 to the classes; default DefaultTop) and, for a multi-label model, `threshold` (a probability replacing the model's thresholds).
    private RequestQuery Query(HttpRequest request, ServedModel model)
    {
        var classes = model.Description.ClassNames.Count;
        var top = Math.Min(Options.DefaultTop, classes);
        if (request.Query["top"].FirstOrDefault() is { } topText)
        {
            top = int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1 && value <= classes
                ? value
                : throw ServingProblem.BadRequest($"top is '{Trim(topText)}'; it must be a whole number from 1 to {classes}.");
        }

        double? threshold = null;
        if (request.Query["threshold"].FirstOrDefault() is { } thresholdText)
        {
            if (model.Description.Task != TaskNames.MultiLabel)
            {
                throw ServingProblem.BadRequest($"threshold applies to multi-label models; '{model.Name}' is {model.Description.Task}.");
            }

            threshold = double.TryParse(thresholdText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 && value <= 1
                ? value
                : throw ServingProblem.BadRequest($"threshold is '{Trim(thresholdText)}'; it must be a probability from 0 to 1.");
        }

        return new RequestQuery(top, threshold);
    }

    private static ImageClassification Answer(Prediction prediction, RequestQuery query)
    {
        IReadOnlyList<ClassScore> labels = query.Threshold is { } t
            ? [.. prediction.Probabilities.Select((p, i) => (p, i)).Where(c => c.p >= t).OrderByDescending(c => c.p).ThenBy(c => c.i).Select(c => new ClassScore(prediction.ClassNames[c.i], c.i, c.p))]
            : [.. prediction.Labels.Select(c => new ClassScore(c.Name, c.Index, c.Probability))];
        return new ImageClassification(prediction.Source, labels, [.. prediction.TopK(query.Top).Select(c => new ClassScore(c.Name, c.Index, c.Probability))]);
    }

    private static bool IsClientGone(HttpContext context, Exception ex) =>
        context.RequestAborted.IsCancellationRequested && ex is IOException or BadHttpRequestException or Microsoft.AspNetCore.Connections.ConnectionResetException;

    private static string Trim(string text) => text.Length > 32 ? text[..32] + "…" : text;

    private static IResult NotFound(string name) =>
        Problem(StatusCodes.Status404NotFound, "No such model", $"No model is served as '{Trim(name)}'.", null);

    private string RetryAfterSeconds => ((int)Math.Ceiling(Options.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private ServingProblem Overloaded(ServedModel model) =>
        new(StatusCodes.Status503ServiceUnavailable, "The model is busy", $"The model '{model.Name}' has {Options.QueueLength} images admitted, its limit; retry later.", Outcomes.Overloaded);

    private IResult Unavailable(HttpContext context, string model, string title, string detail)
    {
        context.Response.Headers.RetryAfter = RetryAfterSeconds;
        return Problem(StatusCodes.Status503ServiceUnavailable, title, detail, model);
    }

    // What the query string asks: how many classes to list, and a multi-label threshold replacing the model's.
    private sealed record RequestQuery(int Top, double? Threshold);

    private static IResult Problem(int status, string title, string detail, string? model) =>
        Results.Problem(detail, statusCode: status, title: title, extensions: model is null ? null : new Dictionary<string, object?> { ["model"] = model });

    [LoggerMessage(Level = LogLevel.Debug, Message = "Model {Model}: refused a request with {Status}: {Reason}")]
    private static partial void Refused(ILogger logger, string model, int status, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {Model}: classification failed")]
    private static partial void Failed(ILogger logger, string model, Exception exception);
}
