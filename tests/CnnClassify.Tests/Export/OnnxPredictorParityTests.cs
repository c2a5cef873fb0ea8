using CnnClassify.Data.Transforms;
using CnnClassify.Export;
using CnnClassify.Inference;
using CnnClassify.Models;
using CnnClassify.Onnx;
using CnnClassify.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Export;

/// <summary>The ONNX Runtime predictor against the LibTorch one: the same pixels after resizing, the same probabilities.</summary>
public class OnnxPredictorParityTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("onnx-parity-").FullName;

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData(3, 37, 53, 64, 48, Interpolation.Bilinear)]
    [InlineData(3, 300, 200, 224, 149, Interpolation.Bilinear)]
    [InlineData(3, 240, 320, 232, 309, Interpolation.Bilinear)]
    [InlineData(1, 20, 20, 28, 28, Interpolation.Bilinear)]
    [InlineData(3, 91, 67, 32, 40, Interpolation.Bicubic)]
    [InlineData(3, 30, 41, 64, 70, Interpolation.Bicubic)]
    [InlineData(3, 45, 33, 20, 66, Interpolation.Nearest)]
    [InlineData(1, 14, 14, 28, 28, Interpolation.Nearest)]
    public void The_resize_gives_libtorchs_pixels(int channels, int height, int width, int outHeight, int outWidth, Interpolation interpolation)
    {
        using var scope = NewDisposeScope();
        var image = randint(0, 256, [channels, height, width], dtype: ScalarType.Byte, generator: new Generator((ulong)(height * width)));
        var expected = ImageOps.Resize(image, outHeight, outWidth, interpolation).data<byte>().ToArray();

        var planes = image.data<byte>().ToArray().Select(b => (float)b).ToArray();
        var actual = PixelResize.Resize(planes, channels, height, width, outHeight, outWidth, interpolation.ToString().ToLowerInvariant());

        Assert.Equal(expected.Length, actual.Length);
        var differences = expected.Zip(actual).Count(p => p.First != p.Second);
        var largest = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        // LibTorch's kernels fuse each multiply and add of the weighted sum; so does the port, and
        // then not one pixel differs, even where a value lies within an ulp of .5.
        Assert.True(differences == 0, $"{differences} of {expected.Length} pixels differ, by up to {largest}");
    }

    public static TheoryData<string, bool> Models() => new()
    {
        { "simplecnn", false }, { "simplecnn", true }, { "resnet18", false }, { "resnet18", true },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void The_onnx_predictor_gives_the_libtorch_predictors_probabilities_on_png_files(string name, bool pixels)
    {
        torch.manual_seed(21);
        using var model = name == "simplecnn"
            ? ModelZoo.Create(name, new ModelOptions { NumClasses = 4, InChannels = 3, ImageSize = 32 })
            : ModelZoo.Create(name, new ModelOptions { NumClasses = 4 });
        // SimpleCNN: resized straight to 32x32 and normalised; ResNet-18: ImageNet's shorter side
        // 256, centre crop 224 and normalisation.
        model.Configuration = model.Configuration with
        {
            ClassNames = ["cat", "dog", "fox", "owl"],
            Preprocessing = name == "simplecnn" ? model.Configuration.Preprocessing with { Mean = [0.5, 0.4, 0.3], Std = [0.2, 0.25, 0.3] } : model.Configuration.Preprocessing,
        };
        var files = Enumerable.Range(0, 4).Select(i => WritePng(i, 40 + (i * 97 % 300), 50 + (i * 61 % 250))).ToList();
        var onnx = Path.Combine(_directory, "model.onnx");
        model.ExportOnnx(onnx, new OnnxExportOptions { IncludePreprocessing = pixels });

        using var libtorch = new Predictor(model, new PredictorOptions { Precision = CnnClassify.Runtime.Precision.Fp32 });
        using var deployed = new OnnxPredictor(onnx);
        var expected = libtorch.PredictBatch(files);
        var actual = deployed.PredictBatch(files, batchSize: 3);

        Assert.Equal(libtorch.ClassNames, deployed.ClassNames);
        Assert.Equal(pixels, deployed.Description.TakesPixels);
        for (var i = 0; i < files.Count; i++)
        {
            Assert.Equal(files[i], actual[i].Source);
            Assert.Equal(expected[i].ClassName, actual[i].ClassName);
            for (var k = 0; k < 4; k++)
            {
                Assert.True(Math.Abs(expected[i].Probabilities[k] - actual[i].Probabilities[k]) <= 1e-5, $"{files[i]} class {k}: LibTorch {expected[i].Probabilities[k]}, ONNX Runtime {actual[i].Probabilities[k]}");
            }
        }

        // One image at a time, from a stream and from an ImageSharp image, gives the same.
        using var stream = File.OpenRead(files[1]);
        Assert.Equal(actual[1].Probabilities, deployed.Predict(stream, files[1]).Probabilities);
        using var image = Image.Load<Rgb24>(files[2]);
        Assert.Equal(actual[2].Probabilities, deployed.Predict(image, files[2]).Probabilities);
    }

    public static TheoryData<string, OnnxTestTimeViews, bool> TestTimeCases() => new()
    {
        { "simplecnn", OnnxTestTimeViews.Flip, false }, { "simplecnn", OnnxTestTimeViews.TenCrop, true }, { "resnet18", OnnxTestTimeViews.FiveCrop, false },
    };

    [Theory]
    [MemberData(nameof(TestTimeCases))]
    public void The_onnx_predictors_test_time_views_give_the_libtorch_predictors_probabilities(string name, OnnxTestTimeViews views, bool logits)
    {
        torch.manual_seed(22);
        using var model = name == "simplecnn"
            ? ModelZoo.Create(name, new ModelOptions { NumClasses = 3, InChannels = 3, ImageSize = 30 })
            : ModelZoo.Create(name, new ModelOptions { NumClasses = 3 });
        // SimpleCNN resizes straight to 30x30, so its crops come from 34x34 (8/7 of 30, rounded);
        // ResNet-18's from the shorter side at 256 of these non-square images.
        model.Configuration = model.Configuration with { ClassNames = ["a", "b", "c"] };
        var files = Enumerable.Range(0, 3).Select(i => WritePng(10 + i, 45 + (i * 83 % 270), 60 + (i * 47 % 230))).ToList();
        var onnx = Path.Combine(_directory, "tta.onnx");
        model.ExportOnnx(onnx);
        var averaging = logits ? TestTimeAveraging.Logits : TestTimeAveraging.Probabilities;
        var tta = views switch
        {
            OnnxTestTimeViews.Flip => TestTimeAugmentation.Flip(averaging),
            OnnxTestTimeViews.FiveCrop => TestTimeAugmentation.FiveCrop(model.Configuration, averaging),
            _ => TestTimeAugmentation.TenCrop(model.Configuration, averaging),
        };

        using var libtorch = new Predictor(model, new PredictorOptions { Precision = CnnClassify.Runtime.Precision.Fp32, TestTimeAugmentation = tta });
        using var deployed = new OnnxPredictor(onnx, new OnnxPredictorOptions { TestTimeViews = views, AverageLogits = logits });
        using var plain = new OnnxPredictor(onnx);
        var expected = libtorch.PredictBatch(files);
        var actual = deployed.PredictBatch(files, batchSize: 2);

        for (var i = 0; i < files.Count; i++)
        {
            for (var k = 0; k < 3; k++)
            {
                Assert.True(Math.Abs(expected[i].Probabilities[k] - actual[i].Probabilities[k]) <= 1e-5, $"{files[i]} class {k}: LibTorch {expected[i].Probabilities[k]}, ONNX Runtime {actual[i].Probabilities[k]}");
            }
        }

        // The views change the answer: the averaged probabilities are not the plain image's.
        Assert.NotEqual(plain.Predict(files[0]).Probabilities, actual[0].Probabilities);
    }

    // A photo-like PNG: smooth gradients and noise, so that resizing has something to average.
    private string WritePng(int index, int width, int height)
    {
        var random = new Random(index);
        using var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24((byte)((x * 255 / width) ^ random.Next(32)), (byte)((y * 255 / height) ^ random.Next(32)), (byte)random.Next(256));
            }
        }

        var path = Path.Combine(_directory, $"image{index}.png");
        image.SaveAsPng(path);
        return path;
    }
}
