using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CnnClassify.Inference;
using CnnClassify.Serving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CnnClassify.Tests.Serving;

/// <summary>
/// The endpoints of CnnClassify.AspNetCore, hosted through the WebApi sample: every answer is the
/// ONNX Runtime predictor's own, whichever way the image is sent.
/// </summary>
public sealed class ServingEndpointTests(ServingFixture fixture) : IClassFixture<ServingFixture>
{
    [Fact]
    public async Task An_image_sent_raw_or_as_a_multipart_file_gets_the_onnx_predictors_probabilities()
    {
        await using var host = fixture.Host();
        using var client = await ServingFixture.ReadyClientAsync(host);
        foreach (var path in fixture.Images.Take(3))
        {
            var expected = fixture.Reference.Predict(path);
            using var raw = new ByteArrayContent(await File.ReadAllBytesAsync(path));
            raw.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            using var rawAnswer = await client.PostAsync(new Uri("/v1/models/cnn/classify?top=4", UriKind.Relative), raw);
            using var form = Form((path, "image/png"));
            using var formAnswer = await client.PostAsync(new Uri("/v1/models/cnn/classify?top=2", UriKind.Relative), form);

            Assert.Equal(HttpStatusCode.OK, rawAnswer.StatusCode);
            Assert.Equal(HttpStatusCode.OK, formAnswer.StatusCode);
            var (rawJson, formJson) = (await Json(rawAnswer), await Json(formAnswer));
            Assert.Equal("cnn", rawJson.GetProperty("model").GetString());
            Assert.Equal("single-label", rawJson.GetProperty("task").GetString());
            Assert.Equal(Path.GetFileName(path), formJson.GetProperty("source").GetString());
            Assert.Equal(expected.ClassName, rawJson.GetProperty("labels")[0].GetProperty("class").GetString());
            AssertTop(expected, rawJson.GetProperty("top"), 4);
            AssertTop(expected, formJson.GetProperty("top"), 2);
        }
    }

    [Fact]
    public async Task A_batch_of_files_gets_each_files_own_answer_in_order()
    {
        await using var host = fixture.Host();
        using var client = await ServingFixture.ReadyClientAsync(host);
        var expected = fixture.Reference.PredictBatch(fixture.Images);
        using var form = Form([.. fixture.Images.Select(path => (path, "image/png"))]);

        using var answer = await client.PostAsync(new Uri("/v1/models/cnn/classify/batch?top=4", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var images = (await Json(answer)).GetProperty("images");
        Assert.Equal(expected.Count, images.GetArrayLength());
        foreach (var (prediction, json) in expected.Zip(images.EnumerateArray()))
        {
            Assert.Equal(Path.GetFileName(prediction.Source), json.GetProperty("source").GetString());
            AssertTop(prediction, json.GetProperty("top"), 4);
        }
    }

    [Fact]
    public async Task The_description_gives_the_models_classes_input_preprocessing_task_and_limits()
    {
        await using var host = fixture.Host(options => options.MaxPixels = 1_000_000);
        using var client = await ServingFixture.ReadyClientAsync(host);

        using var answer = await client.GetAsync(new Uri("/v1/models/cnn", UriKind.Relative));
        var json = await Json(answer);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.True(json.GetProperty("ready").GetBoolean());
        Assert.False(json.GetProperty("explains").GetBoolean());
        var description = json.GetProperty("description");
        Assert.Equal("onnxruntime", description.GetProperty("runtime").GetString());
        Assert.Equal(["cat", "dog", "fox", "owl"], description.GetProperty("classNames").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal((3, 32, 32), (description.GetProperty("inChannels").GetInt32(), description.GetProperty("inputHeight").GetInt32(), description.GetProperty("inputWidth").GetInt32()));
        Assert.Equal([0.5, 0.4, 0.3], description.GetProperty("mean").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal(1_000_000, json.GetProperty("limits").GetProperty("maxPixels").GetInt64());
    }

    [Fact]
    public async Task A_checkpoint_backed_model_explains_with_grad_cam_and_an_onnx_model_says_why_it_cannot()
    {
        await using var host = fixture.Host(options => options.AddModel("torch", _ => new Predictor(fixture.Model, new PredictorOptions { Precision = CnnClassify.Runtime.Precision.Fp32 })));
        using var client = await ServingFixture.ReadyClientAsync(host);
        var expected = fixture.Reference.Predict(fixture.Images[1]);

        using var classified = await client.PostAsync(new Uri("/v1/models/torch/classify?top=4", UriKind.Relative), Raw(fixture.Images[1]));
        using var explained = await client.PostAsync(new Uri("/v1/models/torch/explain?class=fox", UriKind.Relative), Raw(fixture.Images[1]));
        using var refused = await client.PostAsync(new Uri("/v1/models/cnn/explain", UriKind.Relative), Raw(fixture.Images[1]));

        // LibTorch and ONNX Runtime agree on the same weights.
        AssertTop(expected, (await Json(classified)).GetProperty("top"), 4, tolerance: 1e-5);
        Assert.Equal(HttpStatusCode.OK, explained.StatusCode);
        Assert.Equal("image/png", explained.Content.Headers.ContentType?.MediaType);
        Assert.Equal("fox", explained.Headers.GetValues("X-Explained-Class").Single());
        using var overlay = SixLabors.ImageSharp.Image.Load(await explained.Content.ReadAsByteArrayAsync());
        Assert.True(overlay.Width >= 224, $"overlay {overlay.Width}x{overlay.Height}");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("onnxruntime", (await Json(refused)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_multi_label_model_predicts_each_class_at_its_threshold_and_a_threshold_query_replaces_them()
    {
        var onnx = Path.Combine(fixture.Directory, "multi.onnx");
        using (var multi = CnnClassify.Models.ModelZoo.Create("simplecnn", new CnnClassify.Models.ModelOptions { NumClasses = 4, InChannels = 3, ImageSize = 32 }))
        {
            multi.Configuration = fixture.Model.Configuration with { Task = TaskNames.MultiLabel, Thresholds = [0.3, 0.5, 0.7, 0.9] };
            CnnClassify.Export.OnnxExport.ExportOnnx(multi, onnx);
        }

        using var reference = new Onnx.OnnxPredictor(onnx);
        await using var host = fixture.Host(options => options.Models["multi"] = onnx);
        using var client = await ServingFixture.ReadyClientAsync(host);
        foreach (var path in fixture.Images.Take(3))
        {
            var expected = reference.Predict(path);
            using var byModel = await client.PostAsync(new Uri("/v1/models/multi/classify?top=4", UriKind.Relative), Raw(path));
            using var byQuery = await client.PostAsync(new Uri("/v1/models/multi/classify?threshold=0.45", UriKind.Relative), Raw(path));
            var (modelJson, queryJson) = (await Json(byModel), await Json(byQuery));

            Assert.Equal("multi-label", modelJson.GetProperty("task").GetString());
            Assert.Equal(expected.Labels.Select(l => l.Name), modelJson.GetProperty("labels").EnumerateArray().Select(l => l.GetProperty("class").GetString()));
            var atQuery = expected.Probabilities.Select((p, i) => (p, i)).Where(c => c.p >= 0.45).OrderByDescending(c => c.p).Select(c => expected.ClassNames[c.i]);
            Assert.Equal(atQuery, queryJson.GetProperty("labels").EnumerateArray().Select(l => l.GetProperty("class").GetString()));
        }
    }

    [Fact]
    public async Task Liveness_holds_from_the_start_and_readiness_once_the_model_has_answered_its_warm_up()
    {
        var gate = default(GatedClassifier);
        await using var host = fixture.Host(options => options.AddModel("slow", _ =>
        {
            gate = new GatedClassifier(new Onnx.OnnxPredictor(fixture.Onnx));
            gate.Close();
            return gate;
        }));
        using var client = host.CreateClient();

        using var live = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        using var notReady = await client.GetAsync(new Uri("/healthz/ready", UriKind.Relative));
        using var early = await client.PostAsync(new Uri("/v1/models/slow/classify", UriKind.Relative), Raw(fixture.Images[0]));
        gate!.Open();
        using var ready = await ServingFixture.ReadyClientAsync(host);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Contains("slow", await notReady.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, early.StatusCode);
        Assert.Equal("1", early.Headers.GetValues("Retry-After").Single());
    }

    [Fact]
    public async Task Bad_options_stop_the_application_at_start_up_naming_each_option()
    {
        await using var host = fixture.Host(options =>
        {
            options.Models["missing"] = Path.Combine(fixture.Directory, "missing.onnx");
            options.Models["bad name!"] = fixture.Onnx;
            options.MaxBatchSize = 0;
            options.AllowedContentTypes.Add("text/html");
        });

        var error = Assert.Throws<OptionsValidationException>(() => host.CreateClient());

        Assert.Contains(error.Failures, f => f.Contains("missing.onnx", StringComparison.Ordinal) && f.Contains("does not exist", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("'bad name!'", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("MaxBatchSize is 0", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("text/html", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_openapi_document_validates_and_describes_every_model_endpoint()
    {
        await using var host = fixture.Host();
        using var client = host.CreateClient();

        await using var document = await client.GetStreamAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var (openApi, diagnostic) = await Microsoft.OpenApi.OpenApiDocument.LoadAsync(document, "json");

        Assert.Empty(diagnostic!.Errors);
        var errors = Microsoft.OpenApi.OpenApiElementExtensions.Validate(openApi!, Microsoft.OpenApi.ValidationRuleSet.GetDefaultRuleSet());
        Assert.Empty(errors ?? []);
        var paths = openApi!.Paths.Keys.ToList();
        Assert.Contains("/v1/models/{name}", paths);
        Assert.Contains("/v1/models/{name}/classify", paths);
        Assert.Contains("/v1/models/{name}/classify/batch", paths);
        Assert.Contains("/v1/models/{name}/explain", paths);
        var classify = openApi.Paths["/v1/models/{name}/classify"]!.Operations![System.Net.Http.HttpMethod.Post];
        Assert.Contains("multipart/form-data", classify.RequestBody!.Content!.Keys);
        Assert.Contains("image/png", classify.RequestBody.Content.Keys);
        Assert.Contains("413", classify.Responses!.Keys);
        Assert.Contains("503", classify.Responses.Keys);
    }

    internal static MultipartFormDataContent Form(params (string Path, string Type)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (path, type) in files)
        {
            var part = new ByteArrayContent(File.ReadAllBytes(path));
            part.Headers.ContentType = new MediaTypeHeaderValue(type);
            form.Add(part, "image", Path.GetFileName(path));
        }

        return form;
    }

    internal static ByteArrayContent Raw(string path, string type = "image/png")
    {
        var content = new ByteArrayContent(File.ReadAllBytes(path));
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    internal static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private static void AssertTop(Prediction expected, JsonElement top, int k, double tolerance = 1e-12)
    {
        var classes = expected.TopK(k);
        Assert.Equal(classes.Count, top.GetArrayLength());
        foreach (var (want, got) in classes.Zip(top.EnumerateArray()))
        {
            Assert.Equal(want.Name, got.GetProperty("class").GetString());
            Assert.Equal(want.Index, got.GetProperty("index").GetInt32());
            Assert.True(Math.Abs(want.Probability - got.GetProperty("probability").GetDouble()) <= tolerance, $"{want.Name}: {want.Probability} against {got.GetProperty("probability").GetDouble()}");
        }
    }
}
