using System.Text.Json;
using CnnClassify.Data.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Augmentation;

/// <summary>
/// Every operation of every policy at a few bins of the policy's scale, both signs, on three odd
/// images (a noisy non-square photo-like RGB image, a grayscale one, and a small one with a flat
/// and a two-level channel), plus AugMix plans, computed by torchvision 0.21 through
/// augmentation_reference.py in the Debian 13 root.
/// </summary>
public sealed class TorchvisionAugmentation : IDisposable
{
    public TorchvisionAugmentation()
    {
        Folder = Directory.CreateTempSubdirectory("cnnclassify-augment-").FullName;
        Images = new Dictionary<string, Tensor>
        {
            ["photo"] = Photo(3, 37, 53, seed: 1),
            ["gray"] = Photo(1, 29, 31, seed: 2),
            ["flat"] = Flat(),
        };
        foreach (var (name, image) in Images)
        {
            File.WriteAllBytes(Path.Combine(Folder, $"{name}.bin"), image.data<byte>().ToArray());
        }

        Cases = [.. PolicyCases(), .. FillCases(), .. MixCases()];
        var spec = new
        {
            images = Images.ToDictionary(p => p.Key, p => p.Value.shape),
            cases = Cases.Select(c => c.Mix is { } plan
                ? (object)new { image = c.Image, policy = c.Policy, interpolation = Name(c.Interpolation), fill = c.Fill, original = plan.OriginalWeight, weights = plan.ChainWeights, chains = plan.Chains.Select(chain => chain.Select(s => new object[] { s.Op.ToString(), s.Magnitude })) }
                : new { image = c.Image, policy = c.Policy, interpolation = Name(c.Interpolation), fill = c.Fill, op = c.Op.ToString(), bin = c.Bin, negative = c.Negative }),
        };
        File.WriteAllText(Path.Combine(Folder, "cases.json"), JsonSerializer.Serialize(spec));
        var (exit, output) = PythonProcess.Run(RepositoryPaths.Combine("tests", "CnnClassify.Tests", "Augmentation", "augmentation_reference.py"), Folder);
        if (exit != 0)
        {
            UnavailableReason = $"torchvision's outputs could not be made (exit {exit}): {output.Trim().Split('\n').LastOrDefault()}";
            if (PythonProcess.InRoot)
            {
                throw new InvalidOperationException($"{UnavailableReason}\n{output}");
            }
        }
    }

    /// <summary>Where the images, cases and torchvision's outputs are.</summary>
    public string Folder { get; }

    /// <summary>Why torchvision's outputs are missing (outside the Debian 13 root only); <see langword="null"/> when they exist.</summary>
    public string? UnavailableReason { get; }

    /// <summary>The images by name.</summary>
    public Dictionary<string, Tensor> Images { get; }

    /// <summary>The cases, in the order of torchvision's outputs.</summary>
    public List<AugmentationCase> Cases { get; }

    /// <summary>The policies, their scales and bins, and their default interpolation.</summary>
    internal static IReadOnlyList<(string Policy, MagnitudeScale.Ranges Scale, int Bins, int[] TestedBins, IReadOnlyList<AugmentationOp> Space, Interpolation Interpolation)> Policies { get; } =
    [
        ("randaugment", MagnitudeScale.Standard, 31, [0, 9, 30], RandAugment.OperationSpace, Interpolation.Nearest),
        ("trivialaugment", MagnitudeScale.Wide, 31, [1, 17, 30], TrivialAugmentWide.OperationSpace, Interpolation.Nearest),
        ("autoaugment", MagnitudeScale.Standard, 10, [0, 4, 9], [.. RandAugment.OperationSpace.Skip(1), AugmentationOp.Invert], Interpolation.Nearest),
        ("augmix", MagnitudeScale.AugMix, 10, [0, 1, 2], new AugMix().OperationSpace, Interpolation.Bilinear),
    ];

    /// <summary>torchvision's output for case <paramref name="index"/>.</summary>
    public Tensor Expected(int index, long[] shape) => torch.tensor(File.ReadAllBytes(Path.Combine(Folder, $"out-{index}.bin")), shape);

    /// <summary>The magnitudes torchvision's scales gave, null for AugMix plans.</summary>
    public double?[] Magnitudes() => JsonSerializer.Deserialize<double?[]>(File.ReadAllText(Path.Combine(Folder, "magnitudes.json")))!;

    public void Dispose()
    {
        foreach (var image in Images.Values)
        {
            image.Dispose();
        }

        Directory.Delete(Folder, recursive: true);
    }

    private static string Name(Interpolation interpolation) => interpolation == Interpolation.Nearest ? "nearest" : "bilinear";

    private IEnumerable<AugmentationCase> PolicyCases()
    {
        foreach (var (policy, _, _, bins, space, interpolation) in Policies)
        {
            foreach (var image in Images.Keys)
            {
                foreach (var op in space)
                {
                    foreach (var bin in MagnitudeScale.HasMagnitude(op) ? bins : [0])
                    {
                        yield return new AugmentationCase(image, policy, op, bin, false, interpolation, null, null);
                        if (MagnitudeScale.IsSigned(op))
                        {
                            yield return new AugmentationCase(image, policy, op, bin, true, interpolation, null, null);
                        }
                    }
                }
            }
        }
    }

    // Geometric operations with a fill: one value for every channel, one per channel, nearest and bilinear.
    private static IEnumerable<AugmentationCase> FillCases()
    {
        AugmentationOp[] geometric = [AugmentationOp.ShearX, AugmentationOp.ShearY, AugmentationOp.TranslateX, AugmentationOp.TranslateY, AugmentationOp.Rotate];
        foreach (var op in geometric)
        {
            yield return new AugmentationCase("photo", "randaugment", op, 30, true, Interpolation.Nearest, [128], null);
            yield return new AugmentationCase("photo", "trivialaugment", op, 23, false, Interpolation.Nearest, [10, 200, 60], null);
            yield return new AugmentationCase("gray", "augmix", op, 2, true, Interpolation.Bilinear, [77], null);
        }
    }

    private IEnumerable<AugmentationCase> MixCases()
    {
        var random = new Random(11);
        foreach (var (name, augmix) in new[] { ("photo", new AugMix()), ("gray", new AugMix(severity: 10, mixtureWidth: 4, chainDepth: 3, alpha: 0.5)) })
        {
            for (var i = 0; i < 3; i++)
            {
                var image = Images[name];
                var plan = augmix.Draw(random, image.shape[1], image.shape[2]);
                yield return new AugmentationCase(name, "augmix", AugmentationOp.Identity, 0, false, augmix.Interpolation, null, plan);
            }
        }
    }

    // Smooth gradients with structure and noise, so nearest sampling and rounding are exposed.
    private static Tensor Photo(long channels, long height, long width, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[channels * height * width];
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var smooth = 40 + (150.0 * x / width) + (50 * Math.Sin((y + (7 * c)) / 5.0));
                    pixels[(((c * height) + y) * width) + x] = (byte)Math.Clamp(smooth + random.Next(-25, 26), 0, 255);
                }
            }
        }

        return torch.tensor(pixels, [channels, height, width]);
    }

    // Channel 0 flat (AutoContrast leaves it, Equalize's step is 0), channel 1 two levels, channel 2 a ramp.
    private static Tensor Flat()
    {
        const int height = 9, width = 11;
        var pixels = new byte[3 * height * width];
        for (var i = 0; i < height * width; i++)
        {
            pixels[i] = 90;
            pixels[(height * width) + i] = (byte)(i % 3 == 0 ? 20 : 180);
            pixels[(2 * height * width) + i] = (byte)(100 + i);
        }

        return torch.tensor(pixels, [3L, height, width]);
    }
}

/// <summary>One reference case: an operation at a bin of a policy's scale, or an AugMix plan.</summary>
public sealed record AugmentationCase(string Image, string Policy, AugmentationOp Op, int Bin, bool Negative, Interpolation Interpolation, double[]? Fill, AugMixPlan? Mix);
