extern alias WebApi;
using CnnClassify.Export;
using CnnClassify.Inference;
using CnnClassify.Models;
using CnnClassify.Onnx;
using CnnClassify.Serving;
using CnnClassify.Tests.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Serving;

/// <summary>
/// What the serving tests run: a seeded SimpleCNN of four named classes (32x32, its own
/// normalisation) exported to ONNX, the same model in memory for the LibTorch predictor, photos of
/// odd sizes, and the ONNX Runtime predictor called directly as the reference answer.
/// </summary>
public sealed class ServingFixture : IDisposable
{
    public ServingFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("cnnclassify-serving-").FullName;
        manual_seed(32);
        Model = ModelZoo.Create("simplecnn", new ModelOptions { NumClasses = 4, InChannels = 3, ImageSize = 32 });
        Model.Configuration = Model.Configuration with
        {
            ClassNames = ["cat", "dog", "fox", "owl"],
            Preprocessing = Model.Configuration.Preprocessing with { Mean = [0.5, 0.4, 0.3], Std = [0.2, 0.25, 0.3] },
        };
        Onnx = Path.Combine(Directory, "cnn.onnx");
        Model.ExportOnnx(Onnx);
        Images = [.. Enumerable.Range(0, 6).Select(i => TestImages.Write(Path.Combine(Directory, $"photo{i}.png"), 37 + (i * 29 % 90), 23 + (i * 41 % 70), seed: 7 * i))];
        Reference = new OnnxPredictor(Onnx);
    }

    public string Directory { get; }

    public ClassificationModel Model { get; }

    public string Onnx { get; }

    public IReadOnlyList<string> Images { get; }

    /// <summary>The answer every served request must give: the ONNX Runtime predictor called directly.</summary>
    public OnnxPredictor Reference { get; }

    /// <summary>
    /// The WebApi sample hosted in memory with the ONNX model as <c>cnn</c>, its settings
    /// overridden by <paramref name="configure"/>, and logging off.
    /// </summary>
    public WebApplicationFactory<WebApi::Program> Host(Action<ImageClassifierOptions>? configure = null, bool onnx = true) =>
        new WebApplicationFactory<WebApi::Program>().WithWebHostBuilder(web =>
        {
            if (onnx)
            {
                web.UseSetting("ImageClassifier:Models:cnn", Onnx);
            }

            web.ConfigureLogging(logging => logging.ClearProviders());
            web.ConfigureServices(services => services.Configure<ImageClassifierOptions>(options => configure?.Invoke(options)));
        });

    /// <summary>Waits (at most 30 s) until readiness answers 200.</summary>
    public static async Task<HttpClient> ReadyClientAsync(WebApplicationFactory<WebApi::Program> host)
    {
        var client = host.CreateClient();
        for (var attempt = 0; attempt < 300; attempt++)
        {
            using var ready = await client.GetAsync(new Uri("/healthz/ready", UriKind.Relative));
            if (ready.IsSuccessStatusCode)
            {
                return client;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the served model did not become ready in 30 s");
    }

    public void Dispose()
    {
        Reference.Dispose();
        Model.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>
/// A classifier that records the size of every batch it runs and, once closed, holds each batch
/// until the test opens it: it makes queues, overloads and timeouts happen on demand.
/// </summary>
internal sealed class GatedClassifier(IImageClassifier inner) : IImageClassifier
{
    private readonly ManualResetEventSlim _open = new(initialState: true);
    private readonly List<int> _batches = [];

    public ClassifierDescription Description => inner.Description;

    public IReadOnlyList<int> Batches
    {
        get
        {
            lock (_batches)
            {
                return [.. _batches];
            }
        }
    }

    public void Close() => _open.Reset();

    public void Open() => _open.Set();

    public PreparedImage Prepare(Stream stream, string sourceName) => inner.Prepare(stream, sourceName);

    public IReadOnlyList<Prediction> Classify(IReadOnlyList<PreparedImage> images)
    {
        lock (_batches)
        {
            _batches.Add(images.Count);
        }

        _open.Wait(TimeSpan.FromSeconds(30));
        return inner.Classify(images);
    }

    public void Dispose()
    {
        inner.Dispose();
        _open.Dispose();
    }
}
