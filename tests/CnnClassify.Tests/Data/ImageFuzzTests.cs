using System.Buffers.Binary;
using System.Diagnostics;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;

namespace CnnClassify.Tests.Data;

/// <summary>
/// Damaged images of every format through the decoder and the loader: bit flips, truncations and
/// forged size fields. Nothing may crash, hang, or take unbounded time or memory on one file.
/// </summary>
public sealed class ImageFuzzTests : IDisposable
{
    private const int MutantsPerFormat = 60;
    private readonly string _root = Directory.CreateTempSubdirectory("cnnclassify-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Mutated_images_never_crash_hang_or_blow_up_the_decoder_or_the_loader()
    {
        var corpus = WriteCorpus(new Random(20261127));
        var decoder = new ImageDecoder(maxPixels: 4_000_000);
        var slowest = TimeSpan.Zero;
        var mostBytes = 0L;
        var rejected = 0;

        foreach (var file in corpus)
        {
            var clock = Stopwatch.StartNew();
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using var image = decoder.Decode(file);
                Assert.Equal(3, image.shape[0]);
            }
            catch (InvalidImageException ex)
            {
                Assert.Equal(file, ex.Path);
                rejected++;
            }

            slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, clock.Elapsed.Ticks));
            mostBytes = Math.Max(mostBytes, GC.GetAllocatedBytesForCurrentThread() - allocated);
        }

        Assert.Equal(5 * MutantsPerFormat, corpus.Count);
        Assert.InRange(rejected, corpus.Count / 4, corpus.Count);
        Assert.True(slowest < TimeSpan.FromSeconds(5), $"slowest file took {slowest}");
        Assert.True(mostBytes < 256L * 1024 * 1024, $"one file allocated {mostBytes:N0} bytes");

        var dataset = new ImageFolderDataset(_root, new ImageFolderOptions { MaxPixels = 4_000_000 });
        var loader = new DataLoader(dataset, new Compose(new Resize(8, 8), new ToTensor()), new DataLoaderOptions { BatchSize = 16, Workers = 2 });
        var loaded = 0;
        foreach (var batch in loader.Epoch())
        {
            using (batch)
            {
                loaded += batch.Count;
            }
        }

        Assert.InRange(loaded, 1, dataset.Count);
    }

    private List<string> WriteCorpus(Random random)
    {
        var folder = Path.Combine(_root, "fuzz");
        Directory.CreateDirectory(folder);
        TestImages.Write(Path.Combine(folder, "valid.png"));
        var corpus = new List<string>();
        foreach (var extension in TestImages.Formats)
        {
            using var image = TestImages.Pattern(24, 18, seed: extension.Length);
            using var encoded = new MemoryStream();
            image.Save(encoded, Configuration.Default.ImageFormatsManager.FindEncoder(Configuration.Default.ImageFormatsManager.FindFormatByFileExtension(extension[1..])!)!);
            var original = encoded.ToArray();
            for (var i = 0; i < MutantsPerFormat; i++)
            {
                var bytes = (i % 3) switch
                {
                    0 => FlipBits(original, random),
                    1 => original[..random.Next(0, original.Length)],
                    _ => ForgeSize(original, extension, random),
                };
                var path = Path.Combine(folder, $"mutant{i:D3}{extension}");
                File.WriteAllBytes(path, bytes);
                corpus.Add(path);
            }
        }

        return corpus;
    }

    private static byte[] FlipBits(byte[] original, Random random)
    {
        var bytes = (byte[])original.Clone();
        for (var flips = random.Next(1, 24); flips > 0; flips--)
        {
            bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
        }

        return bytes;
    }

    // Writes huge or odd values into the header fields that hold the image size.
    private static byte[] ForgeSize(byte[] original, string extension, Random random)
    {
        var bytes = (byte[])original.Clone();
        var huge = random.Next(3) switch { 0 => 0xFFFF, 1 => 0, _ => random.Next(1, 0xFFFF) };
        switch (extension)
        {
            case ".png":
                BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), huge * 1000);
                BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), huge);
                break;
            case ".bmp":
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), huge * 1000);
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), -huge);
                break;
            case ".gif":
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), (ushort)huge);
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)huge);
                break;
            case ".jpg":
                var sof = Array.FindIndex(bytes, 2, b => b == 0xC0);
                if (sof > 0 && sof + 8 < bytes.Length)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 4), (ushort)huge);
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 6), (ushort)huge);
                }

                break;
            default:
                // WebP: RIFF size and the VP8/VP8L header region.
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), huge * 1000);
                bytes[Math.Min(bytes.Length - 1, 24 + random.Next(8))] = (byte)huge;
                break;
        }

        return bytes;
    }
}
