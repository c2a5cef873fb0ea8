using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Models;
using CnnClassify.Training;
using Xunit.Abstractions;

namespace CnnClassify.Tests.Training;

/// <summary>The seed's SimpleCNN on real data: a 6,000-image slice of Fashion-MNIST, one epoch.</summary>
[Collection(SerialTests.Name)]
public class FashionMnistIntegrationTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task SimpleCNN_reaches_80_percent_validation_accuracy_in_one_epoch_on_6000_images()
    {
        string directory;
        try
        {
            directory = await new DatasetLocator().LocateAsync(MnistVariant.FashionMnist, download: false);
        }
        catch (FileNotFoundException ex) when (Environment.GetEnvironmentVariable("CNNCLASSIFY_IN_ROOT") != "1")
        {
            Skip.If(true, $"Fashion-MNIST is not installed: {ex.Message}");
            return;
        }

        using var train = MnistDataset.Load(directory, train: true, MnistVariant.FashionMnist);
        using var test = MnistDataset.Load(directory, train: false, MnistVariant.FashionMnist);
        var slice = DatasetSplit.Split(train, validationFraction: 0.1, seed: 0, stratified: true).Validation; // 6,000 images
        var validation = DatasetSplit.Split(test, validationFraction: 0.2, seed: 0, stratified: true).Validation; // 2,000 images
        var transform = new Compose(new ToTensor(), Normalize.FashionMnist);
        Seeding.Seed(0);
        using var model = new SimpleCnn(numClasses: 10, inChannels: 1);
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(1e-3)).UseSeed(0).Build();

        var history = trainer.Fit(
            new DataLoader(slice, transform, new DataLoaderOptions { BatchSize = 16, Shuffle = true, Workers = 1 }),
            new DataLoader(validation, transform, new DataLoaderOptions { BatchSize = 500 }),
            epochs: 1);

        var epoch = history.Epochs.Single();
        output.WriteLine($"6,000 images, 1 epoch: train loss {epoch.TrainLoss:F3}, val accuracy {epoch.ValidationAccuracy:P2}, {epoch.Seconds:F1} s, {epoch.SamplesPerSecond:F0} images/s");
        Assert.Equal(6000, slice.Count);
        Assert.True(epoch.ValidationAccuracy > 0.80, $"validation accuracy {epoch.ValidationAccuracy:P2}");
    }
}
