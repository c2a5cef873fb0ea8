using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;

namespace CnnClassify.Tests.Serving;

/// <summary>
/// What the server refuses, and how: each bad request gets a ProblemDetails with its status and a
/// reason naming the problem, and a valid request sent after it is answered as before.
/// </summary>
public sealed class ServingLimitTests(ServingFixture fixture) : IClassFixture<ServingFixture>
{
    internal static (string Kind, int Status, string Reason)[] BadRequests() =>
    [
        ("empty body", 400, "empty"),
        ("not an image", 400, "not a JPEG, PNG"),
        ("truncated PNG", 400, "cannot be decoded"),
        ("header claims 60000x60000", 413, "60,000x60,000"),
        ("over the upload limit", 413, "limit"),
        ("declared over the upload limit", 413, "the limit is"),
        ("text/plain body", 415, "text/plain"),
        ("no content type", 415, "Content-Type"),
        ("multipart part of the wrong type", 415, "application/pdf"),
        ("two files to the single endpoint", 400, "more than one file"),
        ("form without a file", 400, "no file"),
        ("top of zero", 400, "top"),
        ("threshold on a single-label model", 400, "multi-label"),
        ("unknown model", 404, "nosuch"),
    ];

    [Fact]
    public async Task Every_bad_request_gets_its_status_as_problem_details_and_disturbs_no_other()
    {
        await using var host = fixture.Host(options => options.MaxUploadBytes = 64 * 1024);
        using var client = await ServingFixture.ReadyClientAsync(host);
        var png = await File.ReadAllBytesAsync(fixture.Images[0]);
        var expected = fixture.Reference.Predict(fixture.Images[0]).ClassName;
        foreach (var (kind, status, reason) in BadRequests())
        {
            var (path, content) = Request(kind, png);
            using var sent = content;

            using var answer = await client.PostAsync(new Uri(path, UriKind.Relative), content);
            using var valid = await client.PostAsync(new Uri("/v1/models/cnn/classify", UriKind.Relative), ServingEndpointTests.Raw(fixture.Images[0]));

            Assert.True(status == (int)answer.StatusCode, $"{kind}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
            var problem = await ServingEndpointTests.Json(answer);
            Assert.Equal(status, problem.GetProperty("status").GetInt32());
            var detail = problem.GetProperty("detail").GetString();
            Assert.True(detail!.Contains(reason, StringComparison.OrdinalIgnoreCase), $"{kind}: '{detail}' does not say '{reason}'");
            Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
            Assert.Equal(expected, (await ServingEndpointTests.Json(valid)).GetProperty("labels")[0].GetProperty("class").GetString());
        }
    }

    internal static (string Path, HttpContent Content) Request(string kind, byte[] png)
    {
        const string classify = "/v1/models/cnn/classify";
        return kind switch
        {
            "empty body" => (classify, Typed([], "image/png")),
            "not an image" => (classify, Typed("just some text, not pixels"u8.ToArray(), "image/png")),
            "truncated PNG" => (classify, Typed(png[..(png.Length / 2)], "image/png")),
            "header claims 60000x60000" => (classify, Typed(ClaimSize(png, 60_000, 60_000), "image/png")),
            "over the upload limit" => (classify, Unsized(new byte[200 * 1024], "image/png")),
            "declared over the upload limit" => (classify, Typed(new byte[100 * 1024], "image/png")),
            "text/plain body" => (classify, Typed(png, "text/plain")),
            "no content type" => (classify, new ByteArrayContent(png)),
            "multipart part of the wrong type" => (classify, FormOf((png, "application/pdf", "a.pdf"))),
            "two files to the single endpoint" => (classify, FormOf((png, "image/png", "a.png"), (png, "image/png", "b.png"))),
            "form without a file" => (classify, new MultipartFormDataContent { { new StringContent("hello"), "note" } }),
            "top of zero" => (classify + "?top=0", Typed(png, "image/png")),
            "threshold on a single-label model" => (classify + "?threshold=0.3", Typed(png, "image/png")),
            "unknown model" => ("/v1/models/nosuch/classify", Typed(png, "image/png")),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    /// <summary>A valid PNG whose header (IHDR, with its CRC recomputed) claims another size.</summary>
    internal static byte[] ClaimSize(byte[] png, int width, int height)
    {
        var bytes = (byte[])png.Clone();
        // Signature (8), IHDR length (4), "IHDR" (4), then width and height, big-endian.
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), Crc32(bytes.AsSpan(12, 17)));
        return bytes;
    }

    private static ByteArrayContent Typed(byte[] bytes, string type)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    // A body sent without a Content-Length (chunked), so that only counting while reading can refuse it.
    private static StreamContent Unsized(byte[] bytes, string type)
    {
        var pipe = new System.IO.Pipelines.Pipe();
        System.Buffers.BuffersExtensions.Write(pipe.Writer, bytes);
        pipe.Writer.Complete();
        var content = new StreamContent(pipe.Reader.AsStream());
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    private static MultipartFormDataContent FormOf(params (byte[] Bytes, string Type, string Name)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (bytes, type, name) in files)
        {
            form.Add(Typed(bytes, type), "image", name);
        }

        return form;
    }

    // PNG's CRC-32 (ISO 3309), bit by bit.
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}
