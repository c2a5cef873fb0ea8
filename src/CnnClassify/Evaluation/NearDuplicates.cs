using System.Globalization;
using System.Numerics;
using System.Text;
using CnnClassify.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Evaluation;

/// <summary>Two samples whose images are the same or nearly so.</summary>
/// <param name="First">The lower sample index.</param>
/// <param name="Second">The higher sample index.</param>
/// <param name="Distance">How many of the two 64-bit image hashes' bits differ: 0 for the same picture.</param>
/// <param name="Conflicting">Whether the two carry different labels, so that one of them is likely wrong.</param>
/// <param name="Difference">The mean absolute difference of the two 16 x 16 gray thumbnails, each less its own mean brightness, in levels of 255.</param>
public sealed record NearDuplicate(int First, int Second, int Distance, bool Conflicting, double Difference = 0);

/// <summary>
/// Finds images that appear twice in a dataset, exactly or after re-encoding, resizing or a change
/// of brightness, in two steps. A 64-bit difference hash of each image (its gray levels averaged
/// down to 9 x 8 cells, one bit per pair of horizontal neighbours: is the right one brighter)
/// proposes the pairs whose hashes differ in at most <c>maxDistance</c> bits; the pair is kept when
/// the images' 16 x 16 gray thumbnails, each less its mean brightness, differ by at most
/// <c>maxDifference</c> levels on average. The hash alone is too coarse for small centred objects
/// on a plain background (Fashion-MNIST's trousers share most of their hash bits); the thumbnails
/// tell them apart. Labelled-differently pairs come first.
/// </summary>
public static class NearDuplicates
{
    /// <summary>The most samples compared pair by pair; larger datasets report only identical hashes.</summary>
    public const int MaxPairwiseSamples = 50_000;

    /// <summary>The most pairs reported.</summary>
    public const int MaxPairs = 10_000;

    /// <summary>Finds the near-duplicate pairs of a dataset.</summary>
    /// <param name="data">The dataset; samples that cannot be decoded are left out.</param>
    /// <param name="maxDistance">The most differing hash bits for a candidate pair, from 0 to 16.</param>
    /// <param name="maxDifference">The largest mean difference of the brightness-centred thumbnails, in levels, from 0 to 255.</param>
    /// <returns>At most <see cref="MaxPairs"/> pairs: conflicting labels first, then by distance and index.</returns>
    public static IReadOnlyList<NearDuplicate> Find(IImageDataset data, int maxDistance = 4, double maxDifference = 4)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(maxDistance);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDistance, 16);
        if (!(maxDifference >= 0 && maxDifference <= 255))
        {
            throw new ArgumentOutOfRangeException(nameof(maxDifference), maxDifference, "maxDifference must be from 0 to 255 levels.");
        }

        var hashes = new List<(int Index, ulong Hash)>(data.Count);
        var thumbnails = new Dictionary<int, (byte[] Cells, float Mean)>(data.Count);
        for (var i = 0; i < data.Count; i++)
        {
            try
            {
                using var sample = data.Read(i);
                hashes.Add((i, Hash(sample.Image)));
                thumbnails[i] = Thumbnail(sample.Image);
            }
            catch (InvalidImageException)
            {
                // An unreadable image has no picture to compare.
            }
        }

        var pairs = new List<NearDuplicate>();
        bool Conflicting(int a, int b) => !data.LabelsAt(a).SequenceEqual(data.LabelsAt(b));
        void Consider(int a, int b, int distance)
        {
            var difference = Difference(thumbnails[a], thumbnails[b]);
            if (difference <= maxDifference)
            {
                pairs.Add(new NearDuplicate(a, b, distance, Conflicting(a, b), difference));
            }
        }

        if (hashes.Count <= MaxPairwiseSamples)
        {
            for (var a = 0; a < hashes.Count; a++)
            {
                for (var b = a + 1; b < hashes.Count; b++)
                {
                    var distance = BitOperations.PopCount(hashes[a].Hash ^ hashes[b].Hash);
                    if (distance <= maxDistance)
                    {
                        Consider(hashes[a].Index, hashes[b].Index, distance);
                    }
                }
            }
        }
        else
        {
            foreach (var group in hashes.GroupBy(h => h.Hash).Where(g => g.Count() > 1))
            {
                var members = group.Select(h => h.Index).Order().ToList();
                for (var a = 0; a < members.Count && pairs.Count < MaxPairs * 4; a++)
                {
                    for (var b = a + 1; b < members.Count; b++)
                    {
                        Consider(members[a], members[b], 0);
                    }
                }
            }
        }

        return [.. pairs.OrderByDescending(p => p.Conflicting).ThenBy(p => p.Distance).ThenBy(p => p.First).ThenBy(p => p.Second).Take(MaxPairs)];
    }

    /// <summary>Writes the pairs as CSV: both files (or sample indices), the distance, both labels and whether they differ.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="pairs">The pairs, as <see cref="Find"/> gives them.</param>
    /// <param name="data">The dataset they were found in.</param>
    public static void SaveCsv(string path, IReadOnlyList<NearDuplicate> pairs, IImageDataset data)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(data);
        var source = LabelAuditResult.Sources(data);
        string Name(int index) => LabelAuditResult.Quote(source(index) is { Length: > 0 } file ? file : index.ToString(CultureInfo.InvariantCulture));
        string Labels(int index) => LabelAuditResult.Quote(string.Join(";", data.LabelsAt(index).Select(k => data.Classes[k])));
        var csv = new StringBuilder("first,second,distance,difference,first_label,second_label,labels_differ\n");
        foreach (var pair in pairs)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{Name(pair.First)},{Name(pair.Second)},{pair.Distance},{pair.Difference:F2},{Labels(pair.First)},{Labels(pair.Second)},{(pair.Conflicting ? "yes" : "no")}\n");
        }

        Serialization.AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(csv.ToString())));
    }

    // The image's gray levels averaged to 16 x 16 cells and rounded (256 bytes an image), with their mean.
    private static (byte[] Cells, float Mean) Thumbnail(Tensor image)
    {
        using var scope = torch.NewDisposeScope();
        var gray = image.to(ScalarType.Float32).mean([0], keepdim: true).unsqueeze(0);
        var cells = nn.functional.adaptive_avg_pool2d(gray, [16, 16]).reshape(256).round_().clamp_(HeldScalars.Zero, HeldScalars.PixelMax);
        var values = cells.data<float>().ToArray();
        return ([.. values.Select(v => (byte)v)], values.Average());
    }

    // The mean absolute difference of the two thumbnails, each less its own mean brightness.
    private static double Difference((byte[] Cells, float Mean) first, (byte[] Cells, float Mean) second)
    {
        var sum = 0.0;
        for (var i = 0; i < first.Cells.Length; i++)
        {
            sum += Math.Abs(first.Cells[i] - first.Mean - (second.Cells[i] - second.Mean));
        }

        return sum / first.Cells.Length;
    }

    /// <summary>The 64-bit difference hash of a <c>uint8</c> image [C, H, W].</summary>
    /// <param name="image">The image.</param>
    public static ulong Hash(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var scope = torch.NewDisposeScope();
        var gray = image.to(ScalarType.Float32).mean([0], keepdim: true).unsqueeze(0);
        var cells = nn.functional.adaptive_avg_pool2d(gray, [8, 9]).reshape(8, 9);
        var brighter = cells.narrow(1, 1, 8).gt(cells.narrow(1, 0, 8)).reshape(64).data<bool>().ToArray();
        var hash = 0UL;
        for (var bit = 0; bit < 64; bit++)
        {
            hash |= brighter[bit] ? 1UL << bit : 0UL;
        }

        return hash;
    }
}
