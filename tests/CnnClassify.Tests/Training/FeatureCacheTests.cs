using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Models;
using CnnClassify.Training;
using TorchSharp;

namespace CnnClassify.Tests.Training;

/// <summary>Training a head on a frozen backbone's cached output is the same training, without the backbone passes.</summary>
[Collection(SerialTests.Name)]
public class FeatureCacheTests
{
    private static CnnModel FrozenBackbone(int seed)
    {
        torch.manual_seed(seed);
        var model = CnnBuilder.Input(1, 4, 4).Conv(8, 3, padding: 1).BatchNorm().ReLU().Conv(6, 3, padding: 1).ReLU().Flatten().Dense(3).Build();
        model.FreezeBackbone();
        return model;
    }

    private static Trainer Trainer(CnnModel model, bool cached) =>
        CnnClassify.Training.Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(0.01)).UseSeed(5).UseCachedFeatures(cached).Build();

    [Fact]
    public void A_head_trained_on_cached_features_ends_with_the_weights_of_one_trained_on_images()
    {
        using var train = TrainingData.Separable(60, seed: 1);
        using var validation = TrainingData.Separable(21, seed: 2);
        using var uncachedModel = FrozenBackbone(3);
        using var cachedModel = FrozenBackbone(3);
        var options = new DataLoaderOptions { BatchSize = 8, Shuffle = true, Seed = 5 };

        var uncached = Trainer(uncachedModel, cached: false);
        var uncachedHistory = uncached.Fit(new DataLoader(train, new ToTensor(), options), new DataLoader(validation, new ToTensor()), 3);
        using var trainFeatures = BackboneFeatures.Compute(cachedModel, new DataLoader(train, new ToTensor(), options));
        using var validationFeatures = BackboneFeatures.Compute(cachedModel, new DataLoader(validation, new ToTensor()));
        var cached = Trainer(cachedModel, cached: true);
        var cachedHistory = cached.Fit(new DataLoader(trainFeatures, null, options), new DataLoader(validationFeatures), 3);

        Assert.Equal(new long[] { 96 }, trainFeatures.FeatureShape);
        Assert.Equal(train.Count, trainFeatures.Count);
        Assert.Equal(Enumerable.Range(0, train.Count).Select(train.LabelAt), Enumerable.Range(0, train.Count).Select(trainFeatures.LabelAt));
        TensorAssert.Equal(uncachedModel.Head.weight!, cachedModel.Head.weight!, 1e-5);
        TensorAssert.Equal(uncachedModel.Head.bias!, cachedModel.Head.bias!, 1e-5);
        Assert.Equal(TrainingData.Weights(uncachedModel), TrainingData.Weights(cachedModel), new ToleranceComparer(1e-5f));
        for (var epoch = 0; epoch < 3; epoch++)
        {
            Assert.Equal(uncachedHistory.Epochs[epoch].TrainLoss, cachedHistory.Epochs[epoch].TrainLoss, 5);
            Assert.Equal(uncachedHistory.Epochs[epoch].ValidationLoss!.Value, cachedHistory.Epochs[epoch].ValidationLoss!.Value, 5);
        }
    }

    [Fact]
    public void Multi_label_features_keep_each_samples_label_set_and_train_the_head_as_images_do()
    {
        using var images = TrainingData.Separable(60, seed: 1);
        var train = new MultiLabelView(images);
        using var uncachedModel = FrozenBackbone(3);
        using var cachedModel = FrozenBackbone(3);
        uncachedModel.Configuration = uncachedModel.Configuration with { Task = "multi-label" };
        cachedModel.Configuration = cachedModel.Configuration with { Task = "multi-label" };
        var options = new DataLoaderOptions { BatchSize = 8, Shuffle = true, Seed = 5 };

        Trainer(uncachedModel, cached: false).Fit(new DataLoader(train, new ToTensor(), options), null, 2);
        using var features = BackboneFeatures.Compute(cachedModel, new DataLoader(train, new ToTensor(), options));
        Trainer(cachedModel, cached: true).Fit(new DataLoader(features, null, options), null, 2);

        Assert.True(features.IsMultiLabel);
        Assert.Equal(Enumerable.Range(0, train.Count).Select(train.LabelsAt), Enumerable.Range(0, train.Count).Select(features.LabelsAt));
        Assert.Throws<InvalidOperationException>(() => features.LabelAt(0));
        TensorAssert.Equal(uncachedModel.Head.weight!, cachedModel.Head.weight!, 1e-5);
        TensorAssert.Equal(uncachedModel.Head.bias!, cachedModel.Head.bias!, 1e-5);
    }

    // Each image holds its class and, for every other image, the next class too.
    private sealed class MultiLabelView(IImageDataset images) : IImageDataset
    {
        public int Count => images.Count;

        public IReadOnlyList<string> Classes => images.Classes;

        public bool IsMultiLabel => true;

        public long LabelAt(int index) => throw new InvalidOperationException("multi-label");

        public IReadOnlyList<int> LabelsAt(int index) => index % 2 == 0
            ? [.. new[] { (int)images.LabelAt(index), ((int)images.LabelAt(index) + 1) % 3 }.Order()]
            : [(int)images.LabelAt(index)];

        public ImageSample Read(int index) => images.Read(index) with { Label = -1 };
    }

    [Fact]
    public void Features_are_not_cached_past_a_random_layer_a_training_backbone_or_a_random_transform()
    {
        using var dropout = TrainingData.Conv(1);
        dropout.FreezeBackbone();
        using var training = FrozenBackbone(1);
        training.UnfreezeAll();
        using var frozen = FrozenBackbone(1);

        Assert.Contains("Dropout", BackboneFeatures.WhyNotCacheable(dropout, null));
        Assert.Contains("outside the head", BackboneFeatures.WhyNotCacheable(training, null));
        Assert.Contains("RandomHorizontalFlip", BackboneFeatures.WhyNotCacheable(frozen, new Compose(new RandomHorizontalFlip(), new ToTensor())));
        Assert.Null(BackboneFeatures.WhyNotCacheable(frozen, new Compose(new Resize(8), new CenterCrop(4), new ToTensor(), Normalize.Mnist)));
        Assert.Throws<InvalidOperationException>(() => Trainer(training, cached: true));
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
