using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using CnnClassify.Onnx;
using CnnClassify.Serving;
using Microsoft.Extensions.DependencyInjection;

namespace CnnClassify.Tests.Serving;

/// <summary>
/// The dynamic batcher under concurrent requests: images of different requests that queue behind a
/// running batch run together as the next one, and each caller gets its own answer; a full queue answers 503 while admitted requests complete; a
/// request past its timeout answers 504; and the meters count all of it.
/// </summary>
public sealed class ServingBatchingTests(ServingFixture fixture) : IClassFixture<ServingFixture>
{
    [Fact]
    public async Task Requests_queued_behind_a_running_batch_run_together_and_each_caller_gets_its_own_answer()
    {
        var gate = default(GatedClassifier);
        await using var host = fixture.Host(options =>
        {
            options.AddModel("gated", _ => gate = new GatedClassifier(new OnnxPredictor(fixture.Onnx)));
            options.MaxBatchSize = 8;
            // Long enough for every admitted straggler to be prepared and join, however slow the machine.
            options.BatchDelay = TimeSpan.FromMilliseconds(500);
        });
        using var client = await ServingFixture.ReadyClientAsync(host);
        var catalog = host.Services.GetRequiredService<CnnClassify.Serving.Hosting.ModelCatalog>();
        Assert.True(catalog.TryGet("gated", out var served));
        var warmUps = gate!.Batches.Count;
        gate.Close();

        // The first image runs alone and is held; the other five wait behind it, then run as one batch.
        var first = Send(client, fixture.Images[0]);
        await WaitUntilAsync(() => gate.Batches.Count == warmUps + 1);
        var rest = fixture.Images.Skip(1).Select(path => Send(client, path)).ToList();
        await WaitUntilAsync(() => served.Admitted == 6);
        gate.Open();
        var answers = await Task.WhenAll(rest.Prepend(first));

        Assert.Equal([1, 5], gate.Batches.Skip(warmUps));
        foreach (var (path, json) in fixture.Images.Zip(answers))
        {
            var expected = fixture.Reference.Predict(path);
            Assert.Equal(expected.ClassName, json.GetProperty("labels")[0].GetProperty("class").GetString());
            Assert.Equal(expected.Confidence, json.GetProperty("labels")[0].GetProperty("probability").GetDouble(), 12);
        }
    }

    private static async Task<JsonElement> Send(HttpClient client, string path)
    {
        using var answer = await client.PostAsync(new Uri("/v1/models/gated/classify?top=4", UriKind.Relative), ServingEndpointTests.Raw(path));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return await ServingEndpointTests.Json(answer);
    }

    [Fact]
    public async Task A_full_queue_answers_503_with_retry_after_while_admitted_requests_complete()
    {
        var gate = default(GatedClassifier);
        await using var host = fixture.Host(options =>
        {
            options.AddModel("gated", _ => gate = new GatedClassifier(new OnnxPredictor(fixture.Onnx)));
            options.QueueLength = 3;
            options.MaxImagesPerRequest = 3;
            options.RetryAfter = TimeSpan.FromSeconds(2);
        });
        using var client = await ServingFixture.ReadyClientAsync(host);
        gate!.Close();
        var admitted = Enumerable.Range(0, 3).Select(i => client.PostAsync(new Uri("/v1/models/gated/classify", UriKind.Relative), ServingEndpointTests.Raw(fixture.Images[i]))).ToList();
        var catalog = host.Services.GetRequiredService<CnnClassify.Serving.Hosting.ModelCatalog>();
        Assert.True(catalog.TryGet("gated", out var served));
        await WaitUntilAsync(() => served.Admitted == 3);

        using var refused = await client.PostAsync(new Uri("/v1/models/gated/classify", UriKind.Relative), ServingEndpointTests.Raw(fixture.Images[3]));
        using var other = await client.PostAsync(new Uri("/v1/models/cnn/classify", UriKind.Relative), ServingEndpointTests.Raw(fixture.Images[3]));
        gate.Open();
        var completed = await Task.WhenAll(admitted);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("2", refused.Headers.GetValues("Retry-After").Single());
        Assert.Contains("3 images admitted", (await ServingEndpointTests.Json(refused)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.All(completed, answer => Assert.Equal(HttpStatusCode.OK, answer.StatusCode));
        completed.ToList().ForEach(answer => answer.Dispose());
    }

    [Fact]
    public async Task A_request_past_its_timeout_answers_504_and_is_counted_by_outcome()
    {
        var gate = default(GatedClassifier);
        var outcomes = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ServingMetrics.MeterName && instrument.Name == "cnnclassify.serving.requests")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            lock (outcomes)
            {
                outcomes.Add($"{Tag(tags, "model")}:{Tag(tags, "outcome")}");
            }
        });
        listener.Start();
        await using var host = fixture.Host(options =>
        {
            options.AddModel("gated", _ => gate = new GatedClassifier(new OnnxPredictor(fixture.Onnx)));
            options.RequestTimeout = TimeSpan.FromMilliseconds(300);
        });
        using var client = await ServingFixture.ReadyClientAsync(host);
        gate!.Close();

        using var late = await client.PostAsync(new Uri("/v1/models/gated/classify", UriKind.Relative), ServingEndpointTests.Raw(fixture.Images[0]));
        gate.Open();
        using var onTime = await client.PostAsync(new Uri("/v1/models/gated/classify", UriKind.Relative), ServingEndpointTests.Raw(fixture.Images[0]));
        using var tooLarge = await client.PostAsync(new Uri("/v1/models/gated/classify", UriKind.Relative), new ByteArrayContent(ServingLimitTests.ClaimSize(await File.ReadAllBytesAsync(fixture.Images[0]), 60_000, 60_000)) { Headers = { ContentType = new("image/png") } });

        Assert.Equal(HttpStatusCode.GatewayTimeout, late.StatusCode);
        Assert.Equal(504, (await ServingEndpointTests.Json(late)).GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.OK, onTime.StatusCode);
        lock (outcomes)
        {
            Assert.Contains("gated:timeout", outcomes);
            Assert.Contains("gated:ok", outcomes);
            Assert.Contains("gated:too_large", outcomes);
        }
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key)
            {
                return tag.Value as string;
            }
        }

        return null;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 300 && !condition(); i++)
        {
            await Task.Delay(20);
        }

        Assert.True(condition(), "the condition did not hold within 6 s");
    }
}
