using CnnClassify.Data;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace CnnClassify.Tests.Data;

public sealed class ImageFolderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cnnclassify-imagefolder-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Every_format_decodes_to_the_pixels_written()
    {
        foreach (var format in TestImages.Formats)
        {
            TestImages.Write(Path.Combine(_root, "shapes", "img" + format));
        }

        var dataset = new ImageFolderDataset(_root);

        Assert.Equal(5, dataset.Count);
        foreach (var i in Enumerable.Range(0, dataset.Count))
        {
            using var sample = dataset.Read(i);
            Assert.Equal([3L, 10, 12], sample.Image.shape);
            Assert.Equal(torch.ScalarType.Byte, sample.Image.dtype);
            // Pixel (x=5, y=2) is (35, 22, 21); lossy formats land near it.
            var exact = Path.GetExtension(sample.Source) is ".png" or ".bmp";
            var tolerance = exact ? 0 : 12;
            Assert.InRange(sample.Image[0, 2, 5].item<byte>(), 35 - tolerance, 35 + tolerance);
            Assert.InRange(sample.Image[1, 2, 5].item<byte>(), 22 - tolerance, 22 + tolerance);
        }
    }

    [Fact]
    public void Classes_are_the_sorted_folder_names_and_labels_follow_them()
    {
        TestImages.Write(Path.Combine(_root, "zebra", "a.png"));
        TestImages.Write(Path.Combine(_root, "ant", "b.png"));
        TestImages.Write(Path.Combine(_root, "ant", "c.jpg"));
        File.WriteAllText(Path.Combine(_root, "ant", "notes.txt"), "ignored");

        var dataset = new ImageFolderDataset(_root);

        Assert.Equal(["ant", "zebra"], dataset.Classes);
        Assert.Equal([0L, 0, 1], Enumerable.Range(0, dataset.Count).Select(dataset.LabelAt));
    }

    [Fact]
    public void Grayscale_mode_gives_one_channel_of_luminance()
    {
        TestImages.Write(Path.Combine(_root, "c", "a.png"));

        var dataset = new ImageFolderDataset(_root, new ImageFolderOptions { ColorMode = ColorMode.Grayscale });
        using var sample = dataset.Read(0);

        Assert.Equal([1L, 10, 12], sample.Image.shape);
        // ImageSharp's luminance of (35, 22, 21): 0.2126 R + 0.7152 G + 0.0722 B (BT.709).
        Assert.InRange(sample.Image[0, 2, 5].item<byte>(), 23, 25);
    }

    [Theory]
    [InlineData("empty.jpg", "the file is empty")]
    [InlineData("text.png", "not a JPEG, PNG, BMP, GIF, TIFF or WebP image")]
    [InlineData("huge.png", "outside 1 to 120 pixels")]
    public void Unusable_files_are_skipped_with_a_warning_naming_them(string file, string reason)
    {
        TestImages.Write(Path.Combine(_root, "good", "ok.png"));
        var bad = Path.Combine(_root, "good", file);
        if (file == "empty.jpg")
        {
            File.WriteAllBytes(bad, []);
        }
        else if (file == "text.png")
        {
            File.WriteAllText(bad, "not an image at all");
        }
        else
        {
            TestImages.Write(bad, width: 20, height: 20);
        }

        var logger = new ListLogger();
        var dataset = new ImageFolderDataset(_root, new ImageFolderOptions { MaxPixels = 120, Logger = logger });

        Assert.Equal(1, dataset.Count);
        var (path, why) = Assert.Single(dataset.Skipped);
        Assert.Equal(bad, path);
        Assert.Contains(reason, why);
        Assert.Contains(logger.Messages, message => message.Contains(bad, StringComparison.Ordinal) && message.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Strict_mode_raises_an_error_naming_the_file()
    {
        TestImages.Write(Path.Combine(_root, "c", "ok.png"));
        var bad = Path.Combine(_root, "c", "zero.png");
        File.WriteAllBytes(bad, []);

        var error = Assert.Throws<InvalidImageException>(() => new ImageFolderDataset(_root, new ImageFolderOptions { Strict = true }));

        Assert.Equal(bad, error.Path);
        Assert.Equal($"Image '{bad}' cannot be used: the file is empty.", error.Message);
    }

    [Fact]
    public void A_truncated_file_fails_to_decode_with_its_name()
    {
        var path = TestImages.Write(Path.Combine(_root, "c", "cut.png"), width: 64, height: 64);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var dataset = new ImageFolderDataset(_root);

        var error = Assert.Throws<InvalidImageException>(() => dataset.Read(0));

        Assert.Equal(path, error.Path);
    }

    [Fact]
    public void An_empty_class_folder_is_an_error_naming_it()
    {
        TestImages.Write(Path.Combine(_root, "full", "a.png"));
        Directory.CreateDirectory(Path.Combine(_root, "empty"));

        var error = Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(_root));

        Assert.Contains(Path.Combine(_root, "empty"), error.Message);
        Assert.Contains("has no usable image", error.Message);
    }

    [Fact]
    public void A_root_without_class_folders_is_an_error_naming_it()
    {
        TestImages.Write(Path.Combine(_root, "loose.png"));

        var error = Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(_root));

        Assert.Contains(_root, error.Message);
        Assert.Contains("no class subfolders", error.Message);
    }

    [Theory]
    [InlineData("test")]
    [InlineData("val")]
    [InlineData("Train")]
    public void A_folder_named_like_a_split_beside_class_folders_is_refused(string split)
    {
        TestImages.Write(Path.Combine(_root, "cat", "a.png"));
        TestImages.Write(Path.Combine(_root, split, "cat", "b.png"));

        var error = Assert.Throws<InvalidDataException>(() => new ImageFolderDataset(_root));

        Assert.Contains($"named like data splits ({split})", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_root, split), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_class_folder_holding_subfolders_is_read_with_a_warning_naming_them()
    {
        TestImages.Write(Path.Combine(_root, "cat", "a.png"));
        TestImages.Write(Path.Combine(_root, "cat", "kittens", "b.png"));
        TestImages.Write(Path.Combine(_root, "cat", "lions", "c.png"));
        TestImages.Write(Path.Combine(_root, "dog", "d.png"));
        var logger = new ListLogger();

        var dataset = new ImageFolderDataset(_root, new ImageFolderOptions { Logger = logger });

        Assert.Equal(4, dataset.Count);
        Assert.Equal(["cat", "dog"], dataset.Classes);
        Assert.Equal([$"Class folder {Path.Combine(_root, "cat")} holds subfolders (kittens, lions); their images are read as class 'cat'"], logger.Messages);
    }
}
