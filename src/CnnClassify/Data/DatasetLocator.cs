using System.Security.Cryptography;

namespace CnnClassify.Data;

/// <summary>
/// Finds the IDX files of MNIST, Fashion-MNIST or KMNIST: in the folder the user names, then in
/// <c>./data/NAME</c> and <c>/usr/share/datasets/NAME</c> (where Debian's
/// <c>dataset-fashion-mnist</c> puts Fashion-MNIST), and finally by downloading them from the
/// dataset's official mirror into a cache folder, checking each file's checksum.
/// </summary>
/// <remarks>
/// Downloads are checked against the MD5 digests that torchvision publishes for these archives;
/// no SHA-256 list of the official archives is available to this library.
/// </remarks>
public sealed class DatasetLocator
{
    private static readonly string[] Files = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    private readonly HttpClient _http;

    /// <summary>Creates a locator.</summary>
    /// <param name="cacheDirectory">Where downloads go; default <c>~/.cache/cnnclassify/datasets</c>.</param>
    /// <param name="http">The client for downloads; default a new one with a 5-minute timeout.</param>
    public DatasetLocator(string? cacheDirectory = null, HttpClient? http = null)
    {
        CacheDirectory = cacheDirectory ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "cnnclassify", "datasets");
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
    }

    /// <summary>Where downloads go.</summary>
    public string CacheDirectory { get; }

    /// <summary>The folder name of a dataset: <c>mnist</c>, <c>fashion-mnist</c> or <c>kmnist</c>.</summary>
    /// <param name="variant">The dataset.</param>
    public static string FolderName(MnistVariant variant) => variant switch
    {
        MnistVariant.FashionMnist => "fashion-mnist",
        MnistVariant.Kmnist => "kmnist",
        _ => "mnist",
    };

    /// <summary>The folders searched, in order, before downloading.</summary>
    /// <param name="variant">The dataset.</param>
    /// <param name="directory">The user's folder, searched first when given.</param>
    public IReadOnlyList<string> SearchPath(MnistVariant variant, string? directory = null)
    {
        var name = FolderName(variant);
        var places = new List<string>();
        if (directory is not null)
        {
            places.Add(Path.GetFullPath(directory));
        }

        places.Add(Path.GetFullPath(Path.Combine("data", name)));
        places.Add($"/usr/share/datasets/{name}");
        places.Add(Path.Combine(CacheDirectory, name));
        return places;
    }

    /// <summary>The folder holding all four files, downloading them if no folder has them.</summary>
    /// <param name="variant">The dataset.</param>
    /// <param name="directory">A folder the user names, searched first.</param>
    /// <param name="download">Whether to download when no folder has the files.</param>
    /// <param name="cancellationToken">Cancels a download.</param>
    /// <exception cref="FileNotFoundException">No folder has the files and the download is off or failed; the message lists every way to provide them.</exception>
    public async Task<string> LocateAsync(MnistVariant variant, string? directory = null, bool download = true, CancellationToken cancellationToken = default)
    {
        var places = SearchPath(variant, directory);
        var found = places.FirstOrDefault(HasAllFiles);
        if (found is not null)
        {
            return found;
        }

        string failure;
        if (download)
        {
            try
            {
                return await DownloadAsync(variant, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException or InvalidDataException && !cancellationToken.IsCancellationRequested)
            {
                failure = $"the download from {Mirror(variant)} failed: {ex.Message}";
            }
        }
        else
        {
            failure = "downloading is turned off";
        }

        throw new FileNotFoundException(
            $"{FolderName(variant)} was not found, and {failure}. Provide it in one of three ways: " +
            $"(1) pass a folder holding {string.Join(", ", Files)} (each optionally .gz); " +
            $"(2) put the files in {string.Join(" or ", places.Take(places.Count - 1))}" +
            (variant == MnistVariant.FashionMnist ? " (on Debian or Ubuntu: apt-get install dataset-fashion-mnist)" : string.Empty) +
            $"; (3) allow the download from {Mirror(variant)} into {places[^1]}.");
    }

    private static bool HasAllFiles(string directory) =>
        Files.All(file => File.Exists(Path.Combine(directory, file)) || File.Exists(Path.Combine(directory, file + ".gz")));

    private async Task<string> DownloadAsync(MnistVariant variant, CancellationToken cancellationToken)
    {
        var target = Path.Combine(CacheDirectory, FolderName(variant));
        Directory.CreateDirectory(target);
        foreach (var (file, md5) in Checksums(variant))
        {
            var path = Path.Combine(target, file);
            if (File.Exists(path) && Md5Of(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false)) == md5)
            {
                continue;
            }

            var bytes = await _http.GetByteArrayAsync(new Uri(new Uri(Mirror(variant)), file), cancellationToken).ConfigureAwait(false);
            var actual = Md5Of(bytes);
            if (actual != md5)
            {
                throw new InvalidDataException($"'{file}' from {Mirror(variant)} has MD5 {actual}, not the published {md5}");
            }

            var partial = path + ".partial";
            await File.WriteAllBytesAsync(partial, bytes, cancellationToken).ConfigureAwait(false);
            File.Move(partial, path, overwrite: true);
        }

        return target;
    }

#pragma warning disable CA5351 // MD5 matches the digests published for these archives; it guards against corrupt downloads, not attackers.
    private static string Md5Of(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));
#pragma warning restore CA5351

    private static string Mirror(MnistVariant variant) => variant switch
    {
        MnistVariant.FashionMnist => "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        MnistVariant.Kmnist => "http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
        _ => "https://ossci-datasets.s3.amazonaws.com/mnist/",
    };

    // The digests torchvision publishes for the official archives.
    private static (string File, string Md5)[] Checksums(MnistVariant variant) => variant switch
    {
        MnistVariant.FashionMnist =>
        [
            ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"), ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
            ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"), ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
        ],
        MnistVariant.Kmnist =>
        [
            ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"), ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
            ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"), ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
        ],
        _ =>
        [
            ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"), ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
            ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"), ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
        ],
    };
}
