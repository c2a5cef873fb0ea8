using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Inference;
using CnnClassify.Models;
using CnnClassify.Runtime;
using CnnClassify.Tests.Data;
using CnnClassify.Tests.Training;
using CnnClassify.Training;
using SixLabors.ImageSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Inference;

public sealed class PredictorTests : IDisposable
{
    private static readonly double[] Mean = [0.2];
    private static readonly double[] Std = [0.3];
    // These tests compare with float32 forward passes, so the predictors run float32 on every CPU.
    private static readonly PredictorOptions Float32 = new() { Precision = Precision.Fp32 };

    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-predictor-").FullName;
    private readonly List<string> _images = [];
    private readonly ClassificationModel _model;
    private readonly string _checkpoint;

    public PredictorTests()
    {
        // A LeNet-5 trained for one epoch on upscaled separable images, saved with its metadata.
        torch.manual_seed(1);
        _model = ModelZoo.Create("lenet5", numClasses: 3, inChannels: 1);
        _model.Configuration = _model.Configuration with { Preprocessing = new Preprocessing { Mean = Mean, Std = Std } };
        var loader = new CnnClassify.Data.DataLoader(TrainingData.Separable(48), _model.Configuration.EvalTransform(), new DataLoaderOptions { BatchSize = 16 });
        Trainer.For(_model).UseOptimizer(OptimizerSpec.Adam(0.01)).AddCallback(new CheckpointCallback(_dir, Metric.TrainLoss)).Build().Fit(loader, null, epochs: 1);
        _checkpoint = Path.Combine(_dir, "last.ckpt");
        for (var i = 0; i < 6; i++)
        {
            _images.Add(TestImages.Write(Path.Combine(_dir, $"image{i}.png"), width: 28, height: 28, seed: 40 * i));
        }
    }

    public void Dispose()
    {
        _model.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private double[] InMemoryProbabilities(string path, bool flip = false)
    {
        using var scope = torch.NewDisposeScope();
        using var image = new ImageDecoder(ColorMode.Grayscale).Decode(path);
        var input = new Compose(new ToTensor(), new Normalize(Mean, Std)).Apply(image, new Random(0)).unsqueeze(0);
        _model.eval();
        using var noGrad = torch.no_grad();
        var probabilities = _model.call(flip ? input.flip(3) : input).softmax(1);
        return probabilities.to(ScalarType.Float64).data<double>().ToArray();
    }

    [Fact]
    public void A_predictor_loaded_from_the_checkpoint_agrees_with_the_in_memory_model()
    {
        using var predictor = Predictor.FromCheckpoint(_checkpoint, Float32);

        foreach (var path in _images)
        {
            var prediction = predictor.Predict(path);
            var expected = InMemoryProbabilities(path);
            Assert.Equal(expected, prediction.Probabilities, new ToleranceComparer(1e-6));
            Assert.Equal(Array.IndexOf(expected, expected.Max()), prediction.ClassIndex);
            Assert.Equal(new[] { "a", "b", "c" }[prediction.ClassIndex], prediction.ClassName);
        }
    }

    [Fact]
    public void A_channels_last_predictor_gives_the_same_probabilities()
    {
        using var predictor = Predictor.FromCheckpoint(_checkpoint, new PredictorOptions { ChannelsLast = true, Precision = Precision.Fp32 });

        Assert.True(predictor.Options.ChannelsLast);
        foreach (var path in _images)
        {
            Assert.Equal(InMemoryProbabilities(path), predictor.Predict(path).Probabilities, new ToleranceComparer(1e-5));
        }
    }

    [Fact]
    public void Top_k_lists_classes_by_probability_and_probabilities_sum_to_one()
    {
        using var predictor = Predictor.FromCheckpoint(_checkpoint, Float32);

        var prediction = predictor.Predict(_images[0]);
        var top = prediction.TopK(2);

        Assert.Equal(1.0, prediction.Probabilities.Sum(), 6);
        Assert.Equal(2, top.Count);
        Assert.Equal(prediction.ClassIndex, top[0].Index);
        Assert.True(top[0].Probability >= top[1].Probability);
        Assert.Equal(prediction.Confidence, top[0].Probability);
        Assert.Equal(3, prediction.TopK(10).Count);
    }

    [Fact]
    public void Paths_streams_and_decoded_images_give_the_same_prediction()
    {
        using var predictor = Predictor.FromCheckpoint(_checkpoint, Float32);
        using var stream = File.OpenRead(_images[1]);
        using var image = Image.Load(_images[1]);

        var fromPath = predictor.Predict(_images[1]);
        var fromStream = predictor.Predict(stream, "upload.png");
        var fromImage = predictor.Predict(image);

        Assert.Equal(fromPath.Probabilities, fromStream.Probabilities);
        Assert.Equal(fromPath.Probabilities, fromImage.Probabilities, new ToleranceComparer(1e-6));
        Assert.Equal("upload.png", fromStream.Source);
    }

    [Fact]
    public void Test_time_augmentation_averages_the_image_and_its_mirror()
    {
        using var predictor = Predictor.FromCheckpoint(_checkpoint, new PredictorOptions { TestTimeAugmentation = TestTimeAugmentation.Flip(), Precision = Precision.Fp32 });

        var prediction = predictor.Predict(_images[2]);

        var expected = InMemoryProbabilities(_images[2]).Zip(InMemoryProbabilities(_images[2], flip: true)).Select(p => (p.First + p.Second) / 2);
        Assert.Equal(expected, prediction.Probabilities, new ToleranceComparer(1e-6));
    }

    [Theory]
    [InlineData("ten-crop", "probabilities")]
    [InlineData("five-crop", "logits")]
    [InlineData("augment", "probabilities")]
    public void Test_time_views_in_one_pass_equal_the_evaluation_paths_views_over_the_same_files(string views, string averaging)
    {
        // LeNet-5 resizes straight to 28x28, so its crops come from 32x32 images (8/7 of the input).
        var configuration = Checkpoint.ReadConfiguration(_checkpoint);
        var average = averaging == "logits" ? TestTimeAveraging.Logits : TestTimeAveraging.Probabilities;
        var tta = views switch
        {
            "ten-crop" => TestTimeAugmentation.TenCrop(configuration, average),
            "five-crop" => TestTimeAugmentation.FiveCrop(configuration, average),
            _ => TestTimeAugmentation.Augmented(new Compose(new RandomCrop(28, padding: 3), new RandomHorizontalFlip(), new ToTensor(), new Normalize(Mean, Std)), count: 3, averaging: average),
        };
        using var predictor = Predictor.FromCheckpoint(_checkpoint, new PredictorOptions { TestTimeAugmentation = tta, Precision = Precision.Fp32 });
        using var model = Checkpoint.LoadModel(_checkpoint);
        var folder = Path.Combine(_dir, "tta", "all");
        Directory.CreateDirectory(folder);
        _images.ForEach(image => File.Copy(image, Path.Combine(folder, Path.GetFileName(image))));
        var dataset = new ImageFolderDataset(Path.GetDirectoryName(folder)!, new ImageFolderOptions { ColorMode = ColorMode.Grayscale });
        var loader = new CnnClassify.Data.DataLoader(dataset, configuration.EvalTransform(), new DataLoaderOptions { BatchSize = 4 });

        var predicted = predictor.PredictBatch(dataset.Files, batchSize: 4);
        var evaluated = CnnClassify.Evaluation.PredictionSet.Collect(model, loader, configuration.ClassNames, new InferenceOptions { Precision = Precision.Fp32, TestTimeAugmentation = tta });

        if (views == "augment")
        {
            // Random views draw per-sample numbers on the evaluation path and one set per view in
            // the predictor, so only the shape of the result can agree; it repeats, though.
            Assert.Equal(predicted.Select(p => p.Probabilities), predictor.PredictBatch(dataset.Files, batchSize: 4).Select(p => p.Probabilities));
            return;
        }

        for (var i = 0; i < predicted.Count; i++)
        {
            Assert.Equal(evaluated.Probabilities(i).Select(v => (double)v), predicted[i].Probabilities, new ToleranceComparer(1e-5));
        }
    }

    [Fact]
    public void Batch_prediction_equals_one_by_one_prediction()
    {
        using var predictor = Predictor.FromCheckpoint(_checkpoint, Float32);

        var batch = predictor.PredictBatch(_images, batchSize: 4);

        Assert.Equal(_images, batch.Select(p => p.Source));
        for (var i = 0; i < _images.Count; i++)
        {
            Assert.Equal(predictor.Predict(_images[i]).Probabilities, batch[i].Probabilities, new ToleranceComparer(1e-6));
        }
    }

    [Fact]
    public void Concurrent_calls_agree_with_sequential_ones()
    {
        using var predictor = Predictor.FromCheckpoint(_checkpoint, Float32);
        var sequential = _images.Select(path => predictor.Predict(path).Probabilities.ToArray()).ToList();

        var concurrent = new double[4 * _images.Count][];
        Parallel.For(0, concurrent.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            concurrent[i] = predictor.Predict(_images[i % _images.Count]).Probabilities.ToArray());

        for (var i = 0; i < concurrent.Length; i++)
        {
            Assert.Equal(sequential[i % _images.Count], concurrent[i]);
        }
    }

    [Fact]
    public void A_broken_image_is_named_in_the_error()
    {
        using var predictor = Predictor.FromCheckpoint(_checkpoint, Float32);
        var path = Path.Combine(_dir, "broken.jpg");
        File.WriteAllText(path, "no pixels here");

        var error = Assert.Throws<InvalidImageException>(() => predictor.Predict(path));

        Assert.Equal(path, error.Path);
    }
}
