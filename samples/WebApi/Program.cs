// A web API that classifies images with a model exported by `cnnclassify export`:
//
//   dotnet run --project samples/WebApi -- --ImageClassifier:Models:fashion=model.onnx
//   curl -F image=@shoe.png http://localhost:5000/v1/models/fashion/classify
//
// Models and limits come from configuration (appsettings.json, the command line, environment
// variables such as ImageClassifier__Models__fashion), so this file is the whole application.
using CnnClassify.Serving;
using OpenTelemetry.Metrics;

var builder = WebApplication.CreateBuilder(args);
// Uploads are read into the classifier's own buffers as they arrive, so Kestrel needs only a
// small window of each connection's body (1 MiB by default, held in blocks it frees slowly).
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBufferSize = 64 * 1024)
    .UseSockets(sockets => sockets.MaxReadBufferSize = 64 * 1024);
builder.Services.AddImageClassifier(options => builder.Configuration.GetSection("ImageClassifier").Bind(options));
builder.Services.AddOpenApi();
builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(ServingMetrics.MeterName).AddPrometheusExporter());

var app = builder.Build();
app.MapImageClassifier("/v1/models/{name}");
app.MapOpenApi();
app.MapPrometheusScrapingEndpoint();
app.Run();

/// <summary>The application's entry point, public so that tests can host it with WebApplicationFactory.</summary>
public partial class Program;
