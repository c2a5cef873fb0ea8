using CnnClassify.Data.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Data;

public class TransformTests
{
    private static Tensor Ramp(long channels, long height, long width) =>
        torch.arange(channels * height * width, dtype: ScalarType.Float32).reshape(channels, height, width).div_(channels * height * width);

    private static Tensor RandomImage(int seed, long channels = 3, long size = 16)
    {
        using var generator = new torch.Generator((ulong)seed);
        return torch.rand([channels, size, size], generator: generator);
    }

    [Fact]
    public void Resize_scales_the_shorter_side_and_keeps_the_aspect_ratio()
    {
        using var image = torch.zeros([3, 10, 20], ScalarType.Byte);

        using var resized = new Resize(5).Apply(image, new Random(0));
        using var exact = new Resize(4, 6).Apply(image, new Random(0));

        Assert.Equal([3L, 5, 10], resized.shape);
        Assert.Equal(ScalarType.Byte, resized.dtype);
        Assert.Equal([3L, 4, 6], exact.shape);
    }

    [Fact]
    public void Resize_is_bilinear_by_default_not_nearest()
    {
        using var image = torch.tensor(new float[] { 0, 1 }, [1, 1, 2]);

        using var bilinear = new Resize(1, 4).Apply(image, new Random(0));
        using var nearest = new Resize(1, 4, Interpolation.Nearest).Apply(image, new Random(0));

        // Half-pixel centres: output x = 0.25, 0.75, 1.25, 1.75 in input pixels, clamped at the edges.
        TensorAssert.Close([0f, 0.25f, 0.75f, 1f], bilinear);
        TensorAssert.Close([0f, 0f, 1f, 1f], nearest);
    }

    [Fact]
    public void Center_crop_takes_the_middle_and_pads_when_the_image_is_smaller()
    {
        using var image = torch.arange(25, dtype: ScalarType.Float32).reshape(1, 5, 5);

        using var crop = new CenterCrop(3).Apply(image, new Random(0));
        using var padded = new CenterCrop(7).Apply(image, new Random(0));

        TensorAssert.Close([6f, 7, 8, 11, 12, 13, 16, 17, 18], crop);
        Assert.Equal([1L, 7, 7], padded.shape);
        Assert.Equal(0f, padded[0, 0, 0].item<float>());
        Assert.Equal(12f, padded[0, 3, 3].item<float>());
    }

    [Fact]
    public void Random_crop_with_padding_keeps_the_size_and_shifts_by_at_most_the_padding()
    {
        using var image = Ramp(1, 8, 8).add_(1);

        for (var seed = 0; seed < 20; seed++)
        {
            using var crop = new RandomCrop(8, padding: 2).Apply(image, new Random(seed));
            Assert.Equal([1L, 8, 8], crop.shape);
            var zeroRows = crop[0].eq(0).all(1).sum().item<long>();
            var zeroColumns = crop[0].eq(0).all(0).sum().item<long>();
            Assert.InRange(zeroRows, 0, 2);
            Assert.InRange(zeroColumns, 0, 2);
        }
    }

    [Fact]
    public void Random_resized_crop_gives_the_requested_size_for_any_draw()
    {
        using var image = RandomImage(1, size: 40);

        for (var seed = 0; seed < 20; seed++)
        {
            using var crop = new RandomResizedCrop(24).Apply(image, new Random(seed));
            Assert.Equal([3L, 24, 24], crop.shape);
            Assert.InRange(crop.min().item<float>(), 0f, 1f);
            Assert.InRange(crop.max().item<float>(), 0f, 1f);
        }
    }

    [Fact]
    public void Flips_mirror_the_right_axis_with_probability_one()
    {
        using var image = Ramp(1, 2, 3);

        using var horizontal = new RandomHorizontalFlip(1).Apply(image, new Random(0));
        using var vertical = new RandomVerticalFlip(1).Apply(image, new Random(0));
        using var unchanged = new RandomHorizontalFlip(0).Apply(image, new Random(0));

        TensorAssert.Equal(image.flip(2), horizontal, 0);
        TensorAssert.Equal(image.flip(1), vertical, 0);
        TensorAssert.Equal(image, unchanged, 0);
    }

    [Fact]
    public void Horizontal_flip_at_one_half_flips_about_half_the_images()
    {
        using var image = Ramp(1, 2, 2);
        var transform = new RandomHorizontalFlip();
        var random = new Random(11);

        var flipped = Enumerable.Range(0, 2000).Count(_ =>
        {
            using var output = transform.Apply(image, random);
            return !output.allclose(image, 0, 0);
        });

        Assert.InRange(flipped, 900, 1100); // binomial(2000, 0.5): mean 1000, sd 22
    }

    [Fact]
    public void Rotation_by_90_degrees_turns_the_image_counter_clockwise()
    {
        using var image = Ramp(2, 6, 6);

        using var rotated = new RandomRotation((90, 90)).Apply(image, new Random(0));

        TensorAssert.Equal(torch.rot90(image, 1, (1, 2)), rotated, 1e-5);
    }

    [Fact]
    public void Rotation_fills_uncovered_corners()
    {
        using var image = torch.ones(1, 9, 9);

        using var rotated = new RandomRotation((45, 45), fill: 0.5).Apply(image, new Random(0));

        Assert.Equal(0.5f, rotated[0, 0, 0].item<float>(), 3);
        Assert.Equal(1f, rotated[0, 4, 4].item<float>(), 5);
    }

    [Fact]
    public void Affine_translation_alone_shifts_by_whole_pixels()
    {
        using var image = RandomImage(2, channels: 1, size: 12);
        var transform = new RandomAffine((0, 0), translate: (0.25, 0));

        using var shifted = transform.Apply(image, new Random(4));

        // Some shift k in [-3, 3] columns must reproduce the output exactly inside the image.
        var match = Enumerable.Range(-3, 7).Any(k =>
        {
            using var expected = torch.roll(image, k, 2);
            var (from, to) = k >= 0 ? (k, 12) : (0, 12 + k);
            using var a = expected.narrow(2, from, to - from);
            using var b = shifted.narrow(2, from, to - from);
            return (a - b).abs().max().item<float>() < 1e-5;
        });
        Assert.True(match);
    }

    [Fact]
    public void Color_jitter_brightness_scales_every_pixel_by_one_factor()
    {
        using var image = RandomImage(3).mul_(0.5);

        using var output = new ColorJitter(brightness: 0.4).Apply(image, new Random(9));

        var ratio = (output / image).flatten();
        Assert.InRange(ratio.min().item<float>(), 0.6f, 1.4f);
        Assert.True((ratio.max() - ratio.min()).item<float>() < 1e-4);
    }

    [Fact]
    public void Color_jitter_hue_keeps_each_pixels_value_and_saturation()
    {
        using var image = RandomImage(4);

        using var output = new ColorJitter(hue: 0.5).Apply(image, new Random(2));

        // In HSV, V = max(R, G, B) and V - min = V * S stay the same under a hue rotation.
        TensorAssert.Equal(image.amax([0L]), output.amax([0L]), 1e-5);
        TensorAssert.Equal(image.amax([0L]) - image.amin([0L]), output.amax([0L]) - output.amin([0L]), 1e-5);
        Assert.False(output.allclose(image));
    }

    [Fact]
    public void Color_jitter_accepts_uint8_and_keeps_the_range()
    {
        using var image = torch.randint(0, 256, [3, 8, 8], dtype: ScalarType.Byte);

        using var output = new ColorJitter(0.5, 0.5, 0.5, 0.1).Apply(image, new Random(1));

        Assert.Equal(ScalarType.Byte, output.dtype);
        Assert.Equal([3L, 8, 8], output.shape);
    }

    [Fact]
    public void Grayscale_uses_the_luminance_weights_in_all_channels()
    {
        using var red = torch.zeros(3, 2, 2);
        red[0].fill_(1.0);

        using var gray = new RandomGrayscale(1).Apply(red, new Random(0));

        TensorAssert.Close(Enumerable.Repeat(0.299f, 12).ToArray(), gray);
    }

    [Fact]
    public void ToTensor_maps_bytes_to_the_unit_interval()
    {
        using var image = torch.tensor(new byte[] { 0, 51, 255 }, [1, 1, 3]);

        using var output = new ToTensor().Apply(image, new Random(0));

        Assert.Equal(ScalarType.Float32, output.dtype);
        TensorAssert.Close([0f, 0.2f, 1f], output);
    }

    [Fact]
    public void Normalize_with_the_images_own_statistics_gives_zero_mean_and_unit_std()
    {
        using var image = RandomImage(5, channels: 1, size: 32);
        var (mean, std) = (image.mean().item<float>(), image.std(unbiased: false).item<float>());

        using var output = new Normalize([mean], [std]).Apply(image, new Random(0));

        Assert.Equal(0, output.mean().item<float>(), 5);
        Assert.Equal(1, output.std(unbiased: false).item<float>(), 4);
        Assert.Equal([0.485, 0.456, 0.406], Normalize.ImageNet.Mean);
        Assert.Equal([0.2860], Normalize.FashionMnist.Mean);
        Assert.Equal([0.3081], Normalize.Mnist.Std);
    }

    [Fact]
    public void Normalize_before_ToTensor_explains_the_order()
    {
        using var image = torch.zeros([1, 2, 2], ScalarType.Byte);

        var error = Assert.Throws<ArgumentException>(() => Normalize.Mnist.Apply(image, new Random(0)));

        Assert.Contains("apply ToTensor() before it", error.Message);
    }

    [Fact]
    public void Random_erasing_writes_one_rectangle_within_the_area_range()
    {
        using var image = torch.ones(3, 20, 20);

        for (var seed = 0; seed < 10; seed++)
        {
            using var output = new RandomErasing(1, value: 0).Apply(image, new Random(seed));
            var erased = output[0].eq(0).sum().item<long>();
            Assert.InRange(erased, 1, (long)(0.33 * 400) + 20);
            TensorAssert.Equal(output[0], output[2], 0); // the same rectangle in every channel
        }
    }

    [Fact]
    public void A_seeded_pipeline_is_deterministic_and_seeds_differ()
    {
        var pipeline = new Compose(new RandomResizedCrop(12), new RandomHorizontalFlip(), new ColorJitter(0.3, 0.3, 0.3, 0.05), new RandomRotation(20), new ToTensor(), Normalize.ImageNet, new RandomErasing());
        using var image = torch.randint(0, 256, [3, 20, 20], dtype: ScalarType.Byte);

        using var first = pipeline.Apply(image, new Random(42));
        using var second = pipeline.Apply(image, new Random(42));
        using var other = pipeline.Apply(image, new Random(43));

        TensorAssert.Equal(first, second, 0);
        Assert.False(first.allclose(other));
        Assert.Equal([3L, 12, 12], first.shape);
    }
}
