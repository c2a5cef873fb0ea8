using System.Net;
using CnnClassify.Data;

namespace CnnClassify.Tests.Data;

public sealed class DatasetLocatorTests : IDisposable
{
    private static readonly string[] Files = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-locator-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_users_folder_comes_first()
    {
        var mine = Path.Combine(_dir, "mine");
        Directory.CreateDirectory(mine);
        foreach (var file in Files)
        {
            File.WriteAllBytes(Path.Combine(mine, file + ".gz"), [0]);
        }

        var locator = new DatasetLocator(Path.Combine(_dir, "cache"), new HttpClient(new FailingHandler()));

        Assert.Equal(mine, await locator.LocateAsync(MnistVariant.Kmnist, mine));
        Assert.Equal([mine, Path.GetFullPath("data/kmnist"), "/usr/share/datasets/kmnist", Path.Combine(_dir, "cache", "kmnist")], locator.SearchPath(MnistVariant.Kmnist, mine));
    }

    [Fact]
    public async Task Offline_and_nowhere_to_be_found_lists_all_three_ways()
    {
        var locator = new DatasetLocator(Path.Combine(_dir, "cache"), new HttpClient(new FailingHandler()));

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => locator.LocateAsync(MnistVariant.Kmnist, Path.Combine(_dir, "missing")));

        Assert.Contains("kmnist was not found, and the download from http://codh.rois.ac.jp/kmnist/dataset/kmnist/ failed", error.Message);
        Assert.Contains("(1) pass a folder", error.Message);
        Assert.Contains("(2) put the files in", error.Message);
        Assert.Contains("/usr/share/datasets/kmnist", error.Message);
        Assert.Contains($"(3) allow the download from http://codh.rois.ac.jp/kmnist/dataset/kmnist/ into {Path.Combine(_dir, "cache", "kmnist")}", error.Message);
    }

    [Fact]
    public async Task A_download_whose_checksum_differs_is_refused_and_not_kept()
    {
        var locator = new DatasetLocator(Path.Combine(_dir, "cache"), new HttpClient(new GarbageHandler()));

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => locator.LocateAsync(MnistVariant.Mnist, Path.Combine(_dir, "missing")));

        Assert.Contains("has MD5", error.Message);
        Assert.Contains("not the published f68b3c2dcbeaaa9fbdd348bbdeb94873", error.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "cache", "mnist")));
    }

    private sealed class FailingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("Name or service not known");
    }

    private sealed class GarbageHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([1, 2, 3]) });
    }
}
