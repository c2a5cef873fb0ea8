using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Data;

/// <summary>JPEGs decoded at the size the first resize needs: libjpeg-turbo's DCT scaling, checked against PIL's own.</summary>
public sealed class ScaledDecodingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-scaled-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_photo_is_decoded_at_the_smallest_eighth_that_still_covers_the_resize()
    {
        var photo = TestPhotos.Write(Path.Combine(_dir, "photo.jpg"), 1203, 901);

        using var forShortSide = new ImageDecoder(decodeSize: DecodeSize.ShortSide(224)).Decode(photo);
        using var forBox = new ImageDecoder(decodeSize: DecodeSize.Box(300, 160)).Decode(photo);
        using var forLarge = new ImageDecoder(decodeSize: DecodeSize.ShortSide(1000)).Decode(photo);

        // 2/8 gives 301x226 (ceil of 1203/4, 901/4): the first eighth whose shorter side is at least 224.
        Assert.Equal(new long[] { 3, 226, 301 }, forShortSide.shape);
        // 3/8 gives 452x338: the first to reach 300 rows.
        Assert.Equal(new long[] { 3, 338, 452 }, forBox.shape);
        Assert.Equal(new long[] { 3, 901, 1203 }, forLarge.shape);
    }

    [SkippableFact]
    public void Scaled_and_full_decodes_equal_PILs_draft_and_full_decodes_of_the_same_file()
    {
        var photo = TestPhotos.Write(Path.Combine(_dir, "photo.jpg"), 1203, 901, seed: 3);
        var pilFull = Path.Combine(_dir, "pil_full.bin");
        var pilDraft = Path.Combine(_dir, "pil_draft.bin");
        var (code, output) = PythonProcess.Run("-c", $$"""
            from PIL import Image
            im = Image.open("{{photo}}"); im.convert("RGB").tobytes() and open("{{pilFull}}", "wb").write(im.convert("RGB").tobytes())
            im = Image.open("{{photo}}"); im.draft("RGB", (300, 225)); print(im.size); open("{{pilDraft}}", "wb").write(im.convert("RGB").tobytes())
            """);
        Skip.If(code != 0 && !PythonProcess.InRoot, $"PIL is not available outside the Debian 13 root: {output}");
        Assert.True(code == 0, output);
        Assert.Contains("(301, 226)", output);

        using var full = new ImageDecoder(decodeSize: DecodeSize.ShortSide(901)).Decode(photo);   // only the whole size covers it
        using var scaled = new ImageDecoder(decodeSize: DecodeSize.ShortSide(224)).Decode(photo);

        AssertEqualToPil(full, pilFull, 1203, 901);
        AssertEqualToPil(scaled, pilDraft, 301, 226);
    }

    [Fact]
    public void Scaled_decoding_then_resizing_stays_within_two_levels_of_full_decoding_then_resizing()
    {
        var differences = new List<(double Mean, double Max)>();
        foreach (var (w, h, seed) in new[] { (1203, 901, 1), (900, 1350, 2), (1600, 1067, 4) })
        {
            var photo = TestPhotos.Write(Path.Combine(_dir, $"p{seed}.jpg"), w, h, seed);
            var resize = new Compose(new Resize(256), new CenterCrop(224));
            using var scope = torch.NewDisposeScope();
            var viaFull = resize.Apply(new ImageDecoder().Decode(photo), new Random(0)).to(ScalarType.Float32);
            var viaScaled = resize.Apply(new ImageDecoder(decodeSize: DecodeSize.ShortSide(256)).Decode(photo), new Random(0)).to(ScalarType.Float32);
            var difference = viaFull.sub(viaScaled).abs();
            differences.Add((difference.mean().item<float>(), difference.max().item<float>()));
        }

        // The tolerance docs/benchmarks.md states: on average under 2 of 255 levels.
        Assert.All(differences, d => Assert.True(d.Mean < 2.0, $"mean difference {d.Mean:F3} levels (max {d.Max})"));
    }

    [SkippableFact]
    public void EXIF_orientation_is_applied_only_when_asked_and_then_equals_PILs_exif_transpose()
    {
        foreach (ushort orientation in new ushort[] { 3, 6, 8, 5 })
        {
            var photo = TestPhotos.Write(Path.Combine(_dir, $"o{orientation}.jpg"), 240, 160, seed: orientation, orientation: orientation);
            var pil = Path.Combine(_dir, $"o{orientation}.bin");
            var (code, output) = PythonProcess.Run("-c", $$"""
                from PIL import Image, ImageOps
                im = ImageOps.exif_transpose(Image.open("{{photo}}")).convert("RGB"); print(im.size); open("{{pil}}", "wb").write(im.tobytes())
                """);
            Skip.If(code != 0 && !PythonProcess.InRoot, $"PIL is not available outside the Debian 13 root: {output}");
            Assert.True(code == 0, output);

            using var upright = new ImageDecoder(applyExifOrientation: true).Decode(photo);
            using var stored = new ImageDecoder().Decode(photo);

            var transposed = orientation >= 5;
            AssertEqualToPil(upright, pil, transposed ? 160 : 240, transposed ? 240 : 160);
            Assert.Equal(new long[] { 3, 160, 240 }, stored.shape);
        }
    }

    [Fact]
    public void A_truncated_JPEG_is_refused_with_its_name_as_PIL_refuses_it()
    {
        var photo = TestPhotos.Write(Path.Combine(_dir, "whole.jpg"), 400, 300);
        var cut = Path.Combine(_dir, "cut.jpg");
        var bytes = File.ReadAllBytes(photo);
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);

        var error = Assert.Throws<InvalidImageException>(() => new ImageDecoder(decodeSize: DecodeSize.ShortSide(64)).Decode(cut));

        Assert.Contains("cut.jpg", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    private static void AssertEqualToPil(Tensor chw, string pilFile, int width, int height)
    {
        Assert.Equal(new long[] { 3, height, width }, chw.shape);
        using var scope = torch.NewDisposeScope();
        var expected = torch.tensor(File.ReadAllBytes(pilFile), [height, width, 3], ScalarType.Byte).permute(2, 0, 1).to(ScalarType.Int32);
        var difference = chw.to(ScalarType.Int32).sub(expected).abs();
        var max = difference.max().item<int>();
        Assert.True(max <= 1, $"{Path.GetFileName(pilFile)}: max difference {max} levels, {difference.gt(0).sum().item<long>()} values differ");
    }
}
