using System.Globalization;
using System.Text.Json.Nodes;
using CnnClassify.Inference;
using CnnClassify.Tests.Evaluation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CnnClassify.Tests.Serving;

/// <summary>
/// The demo page in Debian's headless Chromium, served by Kestrel on 127.0.0.1: a dropped PNG shows
/// the classes and probabilities the API answers, with the Grad-CAM overlay for a checkpoint-backed
/// model, and a file that is not an image or is too large is explained in the page.
/// </summary>
public sealed class DemoPageTests(ServingFixture fixture) : IClassFixture<ServingFixture>
{
    [SkippableFact]
    public async Task Dropping_a_png_shows_the_apis_classes_and_probabilities_with_grad_cam_and_no_console_error()
    {
        Skip.If(HeadlessChromium.Executable is null, "Chromium is not installed (eng/run's root has it).");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddImageClassifier(options =>
        {
            options.AddModel("cnn", fixture.Onnx);
            options.AddModel("torch", _ => new Predictor(fixture.Model, new PredictorOptions { Precision = CnnClassify.Runtime.Precision.Fp32 }));
            options.DemoPage = true;
            options.MaxUploadBytes = 32 * 1024;
        });
        await using var app = builder.Build();
        app.MapImageClassifier();
        await app.StartAsync();
        var address = app.Urls.Single();
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        for (var i = 0; i < 300 && !(await http.GetAsync(new Uri("/healthz/ready", UriKind.Relative))).IsSuccessStatusCode; i++)
        {
            await Task.Delay(100);
        }

        var photo = fixture.Images[2];
        using var api = await http.PostAsync(new Uri("/v1/models/torch/classify?top=4", UriKind.Relative), ServingEndpointTests.Raw(photo));
        var expected = (await ServingEndpointTests.Json(api)).GetProperty("top").EnumerateArray()
            .Select(c => (Name: c.GetProperty("class").GetString(), Probability: c.GetProperty("probability").GetDouble())).ToList();

        await using var browser = await HeadlessChromium.StartAsync();
        await browser.NavigateAsync(address);
        await browser.EvaluateAsync("(() => { const s = document.getElementById('model'); s.value = 'torch'; s.dispatchEvent(new Event('change')); })()");
        await Drop(browser, await File.ReadAllBytesAsync(photo), "photo.png", "image/png");
        await WaitFor(browser, "!document.getElementById('cam-figure').hidden && document.getElementById('cam').complete && document.getElementById('cam').naturalWidth > 0");

        var bars = (await browser.EvaluateAsync("[...document.querySelectorAll('#results li')].map(li => [li.querySelector('.name').textContent, li.querySelector('.probability').textContent, li.querySelector('.fill').style.width, li.className])"))!.AsArray();
        Assert.Equal(expected.Count, bars.Count);
        foreach (var ((name, probability), bar) in expected.Zip(bars))
        {
            Assert.Equal(name, bar![0]!.GetValue<string>());
            var shown = double.Parse(bar[1]!.GetValue<string>().TrimEnd('%'), CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(shown - (probability * 100)) <= 0.05 + 1e-9, $"{name}: the page shows {shown} %, the API {probability * 100} %");
            Assert.Equal(bar[1]!.GetValue<string>(), bar[2]!.GetValue<string>());
        }

        Assert.Equal("predicted", bars[0]![3]!.GetValue<string>());
        Assert.StartsWith($"Predicted {expected[0].Name}", (await browser.EvaluateAsync("document.getElementById('status').textContent"))!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains($"for {expected[0].Name}", (await browser.EvaluateAsync("document.getElementById('cam').alt"))!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(browser.Problems);
        var screenshot = await browser.ScreenshotAsync();
        using (var picture = Image.Load<Rgb24>(screenshot))
        {
            Assert.True(picture.Width >= 1000 && picture.Height >= 600, $"screenshot {picture.Width}x{picture.Height}");
        }

        if (Environment.GetEnvironmentVariable("CNNCLASSIFY_SCREENSHOTS") is { Length: > 0 } folder)
        {
            await File.WriteAllBytesAsync(Path.Combine(folder, "demo-page.png"), screenshot);
        }

        // Errors are shown in the page, in its alert region: a file that is not an image, and one over the limit.
        await Drop(browser, "not an image"u8.ToArray(), "notes.txt", "text/plain");
        Assert.Contains("not an image", await Error(browser), StringComparison.Ordinal);
        await Drop(browser, new byte[40 * 1024], "huge.png", "image/png");
        Assert.Contains("too large", await Error(browser), StringComparison.Ordinal);
        // A PNG whose bytes are damaged passes the page's checks and gets the server's reason.
        var bytes = await File.ReadAllBytesAsync(photo);
        await Drop(browser, bytes[..(bytes.Length / 2)], "cut.png", "image/png");
        Assert.Contains("cut.png", await Error(browser), StringComparison.Ordinal);
    }

    // The file dropped on the page's drop zone as a browser would: a DataTransfer holding it.
    private static Task<JsonNode?> Drop(HeadlessChromium browser, byte[] bytes, string name, string type) => browser.EvaluateAsync($$"""
        (() => {
          const bytes = Uint8Array.from(atob("{{Convert.ToBase64String(bytes)}}"), c => c.charCodeAt(0));
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], "{{name}}", { type: "{{type}}" }));
          document.getElementById("drop").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        })()
        """);

    private static async Task<string> Error(HeadlessChromium browser)
    {
        await WaitFor(browser, "document.getElementById('error').textContent.length > 0");
        return (await browser.EvaluateAsync("document.getElementById('error').textContent"))!.GetValue<string>();
    }

    private static async Task WaitFor(HeadlessChromium browser, string condition)
    {
        for (var i = 0; i < 1200; i++)
        {
            if ((await browser.EvaluateAsync($"Boolean({condition})"))!.GetValue<bool>())
            {
                return;
            }

            await Task.Delay(50);
        }

        var shown = await browser.EvaluateAsync("[document.getElementById('status').textContent, document.getElementById('error').textContent].join(' | ')");
        Assert.Fail($"the page never reached (60 s): {condition}; it shows: {shown}; console: {string.Join("; ", browser.Problems)}");
    }
}
