using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Evaluation;
using CnnClassify.Models;
using CnnClassify.Runtime;
using CnnClassify.Tests.Training;
using CnnClassify.Training;
using TorchSharp;
using Xunit.Abstractions;

namespace CnnClassify.Tests.Evaluation;

/// <summary>
/// Test-time augmentation on the evaluation path, against the views computed by hand: a ResNet-18
/// trained briefly on Fashion-MNIST at 32x32 with random flips, evaluated plain, mirrored and with TTA.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class TestTimeAugmentationTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Flip_tta_on_a_trained_resnet18_averages_the_image_and_its_mirror_and_its_accuracy_is_the_averages()
    {
        string directory;
        try
        {
            directory = await new DatasetLocator().LocateAsync(MnistVariant.FashionMnist, download: false);
        }
        catch (FileNotFoundException ex) when (!PythonProcess.InRoot)
        {
            Skip.If(true, $"Fashion-MNIST is not installed: {ex.Message}");
            return;
        }

        using var train = MnistDataset.Load(directory, train: true, MnistVariant.FashionMnist);
        using var test = MnistDataset.Load(directory, train: false, MnistVariant.FashionMnist);
        var slice = DatasetSplit.Split(train, validationFraction: 2000.0 / train.Count, seed: 0, stratified: true).Validation;
        var images = DatasetSplit.Split(test, validationFraction: 0.1, seed: 0, stratified: true).Validation;
        Seeding.Seed(0);
        using var model = ModelZoo.Create("resnet18", numClasses: 10, inChannels: 1);
        model.Configuration = model.Configuration with { InputHeight = 32, InputWidth = 32, Preprocessing = new Preprocessing { Mean = Normalize.FashionMnist.Mean, Std = Normalize.FashionMnist.Std } };
        var transform = model.Configuration.EvalTransform();
        Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(1e-3)).UsePrecision(Precision.Fp32).UseSeed(0).Build()
            .Fit(new DataLoader(slice, new Compose(new RandomHorizontalFlip(), transform), new DataLoaderOptions { BatchSize = 32, Shuffle = true }), validation: null, epochs: 1);

        var loader = new DataLoader(images, transform, new DataLoaderOptions { BatchSize = 200 });
        var mirrored = new DataLoader(images, new Compose(transform, new RandomHorizontalFlip(1)), new DataLoaderOptions { BatchSize = 200 });
        var fp32 = new InferenceOptions { Precision = Precision.Fp32 };
        var plain = PredictionSet.Collect(model, loader, options: fp32);
        var mirror = PredictionSet.Collect(model, mirrored, options: fp32);
        var flip = PredictionSet.Collect(model, loader, options: fp32 with { TestTimeAugmentation = TestTimeAugmentation.Flip() });
        var logits = PredictionSet.Collect(model, loader, options: fp32 with { TestTimeAugmentation = TestTimeAugmentation.Flip(TestTimeAveraging.Logits) });

        var correct = 0;
        var changed = 0;
        for (var i = 0; i < plain.Samples.Count; i++)
        {
            Assert.Equal(plain.Indices[i], flip.Indices[i]);
            var (a, b) = (plain.Probabilities(i), mirror.Probabilities(i));
            var mean = a.Zip(b, (x, y) => (x + y) / 2.0).ToArray();
            Assert.Equal(mean, flip.Probabilities(i).Select(p => (double)p), new ToleranceComparer(1e-6));
            // Averaged logits: the softmax of the mean log-probabilities, the normalised geometric mean.
            var geometric = a.Zip(b, (x, y) => Math.Sqrt((double)x * y)).ToArray();
            Assert.Equal(geometric.Select(g => g / geometric.Sum()), logits.Probabilities(i).Select(p => (double)p), new ToleranceComparer(1e-5));
            var answer = Array.IndexOf(mean, mean.Max());
            correct += answer == plain.Targets[i] ? 1 : 0;
            changed += answer != plain.Samples[i].Predicted ? 1 : 0;
        }

        output.WriteLine($"{plain.Samples.Count} test images: plain {plain.Accuracy:P2}, mirrored {mirror.Accuracy:P2}, flip TTA {flip.Accuracy:P2} (probabilities), {logits.Accuracy:P2} (logits); {changed} answers changed");
        Assert.Equal(correct / (double)plain.Samples.Count, flip.Accuracy, 12);
        Assert.True(changed > 0, "flip TTA changed no answer");
    }

    [Fact]
    public void Five_crop_views_are_the_four_corners_and_the_centre_of_the_resized_image()
    {
        // Crops of 8 from a 9x11 image: an odd margin of 1 row and 3 columns.
        var configuration = new ModelConfiguration { Architecture = "test", InChannels = 1, InputHeight = 8, InputWidth = 8, ClassNames = ["a", "b"], Preprocessing = new Preprocessing { ResizeSize = 9, Interpolation = Interpolation.Nearest } };
        var tta = TestTimeAugmentation.TenCrop(configuration);
        using var image = torch.arange(9 * 11, dtype: torch.ScalarType.Byte).reshape(1, 9, 11);

        Assert.Equal(10, tta.Views.Count);
        Assert.All(tta.Views, v => Assert.Equal(0.1, v.Weight, 12));
        Assert.Equal(5, tta.Views.Count(v => v.Mirror));
        var firsts = tta.Views.Where(v => !v.Mirror).Select(v => v.Transform!.Apply(image, new Random(0))).Select(t => t.mul(255).round().to(torch.ScalarType.Int64)[0, 0, 0].item<long>()).ToList();
        // Top-left (0, 0), top-right (0, 3), bottom-left (1, 0), bottom-right (1, 3), and the centre at
        // row round(0.5) = 0 and column round(1.5) = 2, halves rounded to even as torchvision rounds them.
        Assert.Equal([0L, 3, 11, 14, 2], firsts);
        Assert.Equal("ten-crop: 10 views (top-left crop, mirrored top-left crop, top-right crop, mirrored top-right crop, bottom-left crop, mirrored bottom-left crop, bottom-right crop, mirrored bottom-right crop, centre crop, mirrored centre crop), probabilities averaged", tta.Description);
    }
}
