using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Inference;
using CnnClassify.Layers;
using CnnClassify.Models;
using CnnClassify.Training;
using TorchSharp;
using DataLoader = CnnClassify.Data.DataLoader;

namespace CnnClassify.Tests.Training;

/// <summary>Models trained with no hand-written metadata can be predicted from their checkpoints alone.</summary>
[Collection(SerialTests.Name)]
public sealed class ModelDescriptionTests : IDisposable
{
    private static readonly ImageFolderOptions Grayscale = new() { ColorMode = ColorMode.Grayscale };
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-description-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_zoo_model_trained_without_metadata_predicts_from_its_checkpoint_alone()
    {
        torch.manual_seed(2);
        using var model = ModelZoo.Create("lenet5", numClasses: 3);
        model.Configuration = model.Configuration with { Preprocessing = new Preprocessing { Mean = Normalize.FashionMnist.Mean, Std = Normalize.FashionMnist.Std } };
        var images = Train(model, size: 28, model.Configuration.EvalTransform());

        using var fromFile = Predictor.FromCheckpoint(Path.Combine(_dir, "runs", "last.ckpt"));
        using var inMemory = new Predictor(model);

        Assert.Equal(SeparableFolder.Classes, fromFile.ClassNames);
        Assert.Equal(("lenet5", 1, 28, 28), (fromFile.Configuration.Architecture, fromFile.Configuration.InChannels, fromFile.Configuration.InputHeight, fromFile.Configuration.InputWidth));
        Assert.Equal(Normalize.FashionMnist.Mean, fromFile.Configuration.Preprocessing.Mean);
        SamePredictions(inMemory, fromFile, images);
    }

    [Fact]
    public void A_builder_model_trained_without_metadata_predicts_from_its_checkpoint_alone()
    {
        torch.manual_seed(2);
        using var model = CnnBuilder.Input(1, 12, 12)
            .ConvBlock(4, 3).MaxPool(2).Residual(8, stride: 2).GlobalAvgPool().Dense(3)
            .WithPreprocessing(new Preprocessing { Mean = [0.3], Std = [0.2] })
            .Build();
        var images = Train(model, size: 12, model.Configuration.EvalTransform());

        using var rebuilt = Checkpoint.LoadModel(Path.Combine(_dir, "runs", "last.ckpt"));
        using var fromFile = Predictor.FromCheckpoint(Path.Combine(_dir, "runs", "last.ckpt"));
        using var inMemory = new Predictor(model);

        Assert.IsType<CnnModel>(rebuilt);
        Assert.Equal(model.Layers, ((CnnModel)rebuilt).Layers);
        Assert.Equal(SeparableFolder.Classes, fromFile.ClassNames);
        Assert.Equal([0.2], fromFile.Configuration.Preprocessing.Std);
        SamePredictions(inMemory, fromFile, images);
    }

    [Fact]
    public void A_custom_layer_checkpoint_says_the_model_must_be_passed()
    {
        torch.manual_seed(2);
        using var model = CnnBuilder.Input(1, 12, 12).Add("mine", _ => torch.nn.Identity(), s => s).Flatten().Dense(3).Build();
        Train(model, size: 12, new ToTensor());
        var path = Path.Combine(_dir, "runs", "last.ckpt");

        var error = Assert.Throws<InvalidDataException>(() => Predictor.FromCheckpoint(path));
        using var withModel = Predictor.FromCheckpoint(path, CnnBuilder.Input(1, 12, 12).Add("mine", _ => torch.nn.Identity(), s => s).Flatten().Dense(3).Build());

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("'mine' was added by code", error.Message, StringComparison.Ordinal);
        Assert.Equal(SeparableFolder.Classes, withModel.ClassNames);
    }

    [Fact]
    public void A_checkpoint_of_the_first_format_still_predicts_from_its_flat_metadata()
    {
        torch.manual_seed(2);
        using var model = ModelZoo.Create("lenet5", numClasses: 3);
        model.Configuration = model.Configuration with { Preprocessing = new Preprocessing { Mean = Normalize.FashionMnist.Mean, Std = Normalize.FashionMnist.Std } };
        var images = Train(model, size: 28, model.Configuration.EvalTransform());
        var path = Path.Combine(_dir, "runs", "last.ckpt");
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = archive.GetEntry("trainer.json")!;
            JsonObject state;
            using (var stream = entry.Open())
            {
                state = (JsonObject)JsonNode.Parse(stream)!;
            }

            entry.Delete();
            state.Remove("model");
            state["format_version"] = 1;
            state["metadata"] = new JsonObject
            {
                ["ModelName"] = "lenet5", ["InChannels"] = 1, ["ImageSize"] = 28, ["AuxiliaryHeads"] = false,
                ["ClassNames"] = new JsonArray("left", "middle", "right"),
                ["NormalizeMean"] = new JsonArray(0.2860), ["NormalizeStd"] = new JsonArray(0.3530),
            };
            using var writer = archive.CreateEntry("trainer.json").Open();
            JsonSerializer.Serialize(writer, state);
        }

        using var fromFile = Predictor.FromCheckpoint(path);
        using var inMemory = new Predictor(model);

        Assert.Equal(("lenet5", 28), (fromFile.Configuration.Architecture, fromFile.Configuration.InputHeight));
        SamePredictions(inMemory, fromFile, images);
    }

    [Fact]
    public void Build_without_UseSeed_leaves_the_users_generator_alone()
    {
        using var model = TrainingData.Linear();
        Seeding.Seed(1);
        using var expected = torch.rand(8);

        Seeding.Seed(1);
        Trainer.For(model).Build();
        using var actual = torch.rand(8);

        TensorAssert.Equal(expected, actual, 0);
    }

    [Fact]
    public void Training_and_validation_data_with_different_classes_stop_before_the_first_epoch()
    {
        using var model = TrainingData.Linear();
        var trainer = Trainer.For(model).Build();
        var other = new TensorDataset(torch.zeros(4, 1, 4, 4, dtype: torch.ScalarType.Byte), [0, 1, 2, 0], ["a", "b", "x"]);

        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(TrainingData.Loader(TrainingData.Separable(8)), TrainingData.Loader(other), epochs: 1));

        Assert.Contains("training [a, b, c], validation [a, b, x]", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, trainer.Epoch);
    }

    [Fact]
    public void A_model_with_the_wrong_number_of_classes_is_refused_before_training()
    {
        using var model = ModelZoo.Create("lenet5", numClasses: 5);
        var trainer = Trainer.For(model).Build();
        var loader = new DataLoader(new ImageFolderDataset(WriteFolder(28), Grayscale), new ToTensor(), new DataLoaderOptions { BatchSize = 4 });

        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(loader, null, epochs: 1));

        Assert.Contains("predicts 5 classes but the training data has 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_trainer_adds_only_the_class_names_and_warns_about_batches_of_another_size()
    {
        torch.manual_seed(2);
        using var model = CnnBuilder.Input(1, 12, 12).Flatten().Dense(3).WithPreprocessing(new Preprocessing { Mean = [0.3], Std = [0.2] }).Build();
        var data = new ImageFolderDataset(WriteFolder(16), Grayscale);
        // The loaders' transforms differ from the description: another normalisation, and 16x16 images
        // for a 12x12 model (the dense layer would refuse them, so they are resized inside the transform).
        var transform = new Compose(new Resize(12, 12), new ToTensor(), new Normalize([0.5], [0.5]));
        var loader = new DataLoader(data, transform, new DataLoaderOptions { BatchSize = 6 });
        var logger = new ListLogger();
        var trainer = Trainer.For(model).UseLogger(logger).Build();

        trainer.Fit(loader, loader, epochs: 1);

        Assert.Equal(SeparableFolder.Classes, trainer.Configuration.ClassNames);
        Assert.Equal([0.2], trainer.Configuration.Preprocessing.Std);
        Assert.Equal((12, 12), (trainer.Configuration.InputHeight, trainer.Configuration.InputWidth));
        Assert.DoesNotContain(logger.Messages, m => m.Contains("model's description", StringComparison.Ordinal));

        // A module that is not a zoo or builder model has no description of its size: the batches'
        // differ from the default, and the warning says so once.
        using var plain = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(144, 3));
        var warned = new ListLogger();
        Trainer.For(plain).UseLogger(warned).Build().Fit(loader, null, epochs: 2);
        Assert.Single(warned.Messages, m => m.Contains("the training batches are 1x12x12 but the model's description says 3x224x224", StringComparison.Ordinal));
    }

    private IReadOnlyList<string> Train(ClassificationModel model, int size, IImageTransform evaluation)
    {
        var root = WriteFolder(size);
        var data = new ImageFolderDataset(root, Grayscale);
        var train = new DataLoader(data, new Compose(new RandomHorizontalFlip(0), evaluation), new DataLoaderOptions { BatchSize = 6, Shuffle = true });
        var validation = new DataLoader(data, evaluation, new DataLoaderOptions { BatchSize = 6 });
        Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(0.01)).AddCallback(new CheckpointCallback(Path.Combine(_dir, "runs"))).Build()
            .Fit(train, validation, epochs: 2);
        return Directory.GetFiles(root, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
    }

    private string WriteFolder(int size)
    {
        var root = Path.Combine(_dir, $"images{size}");
        if (!Directory.Exists(root))
        {
            SeparableFolder.Write(root, size, perClass: 4);
        }

        return root;
    }

    private static void SamePredictions(Predictor expected, Predictor actual, IReadOnlyList<string> images)
    {
        var first = expected.PredictBatch(images);
        var second = actual.PredictBatch(images);
        for (var i = 0; i < images.Count; i++)
        {
            Assert.Equal(first[i].Probabilities, second[i].Probabilities, new ToleranceComparer(1e-6));
        }
    }
}
