using CnnClassify.Serving;
using CnnClassify.Serving.DemoPage;
using CnnClassify.Serving.Endpoints;
using CnnClassify.Serving.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps CnnClassify's image classification endpoints.</summary>
public static class ImageClassifierEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps, under <paramref name="pattern"/> (which names the model with <c>{name}</c>):
    /// <list type="bullet">
    /// <item><c>GET {pattern}</c>: the model's classes, input, preprocessing, task and limits;</item>
    /// <item><c>POST {pattern}/classify</c>: one image, as a raw body with its content type or one multipart file, with <c>?top=</c> and, for multi-label models, <c>?threshold=</c>;</item>
    /// <item><c>POST {pattern}/classify/batch</c>: the files of a multipart form, run with other requests' images by the dynamic batcher;</item>
    /// <item><c>POST {pattern}/explain</c>: a Grad-CAM overlay as a PNG, for checkpoint-backed models (<c>?class=</c> to choose the class).</item>
    /// </list>
    /// Also maps liveness at <see cref="ImageClassifierOptions.HealthPath"/> and readiness at its
    /// <c>/ready</c>, and the demo page at <c>/</c> when <see cref="ImageClassifierOptions.DemoPage"/>
    /// is on. Errors are ProblemDetails: 400, 404, 413, 415, 503 with <c>Retry-After</c>, 504.
    /// </summary>
    /// <param name="endpoints">The application.</param>
    /// <param name="pattern">The models' route; it must contain <c>{name}</c>.</param>
    /// <returns>The group of model endpoints, for further conventions (authorization, rate limiting).</returns>
    public static RouteGroupBuilder MapImageClassifier(this IEndpointRouteBuilder endpoints, string pattern = "/v1/models/{name}")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        if (!pattern.Contains("{name}", StringComparison.Ordinal))
        {
            throw new ArgumentException($"The route '{pattern}' must name the model with {{name}}, as in /v1/models/{{name}}.", nameof(pattern));
        }

        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<ImageClassifierOptions>>().Value;
        var group = endpoints.MapGroup(pattern).WithTags("Image classification");
        group.MapGet(string.Empty, (string name, ClassificationHandler handler) => handler.Describe(name))
            .WithName("DescribeModel").WithSummary("What the model is: classes, input, preprocessing, task and limits.")
            .Produces<ModelResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        Classifying(group.MapPost("/classify", (HttpContext context, string name, ClassificationHandler handler) => handler.ClassifyAsync(context, name)))
            .WithName("ClassifyImage").WithSummary("Classifies one image, sent as the raw body with its content type or as one multipart file.")
            .Produces<ClassificationResponse>();
        Classifying(group.MapPost("/classify/batch", (HttpContext context, string name, ClassificationHandler handler) => handler.ClassifyBatchAsync(context, name)))
            .WithName("ClassifyImages").WithSummary("Classifies the files of a multipart form.")
            .Produces<BatchClassificationResponse>();
        Classifying(group.MapPost("/explain", (HttpContext context, string name, ClassificationHandler handler) => handler.ExplainAsync(context, name)))
            .WithName("ExplainImage").WithSummary("The Grad-CAM overlay of one image, as a PNG (checkpoint-backed models).")
            .Produces(StatusCodes.Status200OK, contentType: "image/png");

        if (options.HealthPath is { } health)
        {
            endpoints.MapHealthChecks(health, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthReportWriter.WriteAsync }).WithName("Liveness").ExcludeFromDescription();
            endpoints.MapHealthChecks(health.TrimEnd('/') + "/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ModelsReadyCheck.Tag), ResponseWriter = HealthReportWriter.WriteAsync }).WithName("Readiness").ExcludeFromDescription();
        }

        if (options.DemoPage)
        {
            endpoints.MapGet("/", (HttpContext context, ModelCatalog catalog) => DemoPageResult.Render(context, catalog, options, pattern)).WithName("DemoPage").ExcludeFromDescription();
        }

        return group;
    }

    // What every image endpoint may refuse; the bodies it takes are described for OpenAPI only, so
    // that a content type outside them reaches the handler and gets its ProblemDetails.
    private static RouteHandlerBuilder Classifying(RouteHandlerBuilder endpoint) => endpoint
        .AddOpenApiOperationTransformer(ImageRequestDocumentation.Describe)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .ProducesProblem(StatusCodes.Status504GatewayTimeout);
}
