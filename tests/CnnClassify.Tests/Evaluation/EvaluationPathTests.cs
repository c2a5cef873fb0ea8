using CnnClassify.Data;
using CnnClassify.Evaluation;
using CnnClassify.Inference;
using CnnClassify.Models;
using CnnClassify.Runtime;
using CnnClassify.Tests.Training;
using CnnClassify.Training;
using TorchSharp;
using DataLoader = CnnClassify.Data.DataLoader;

namespace CnnClassify.Tests.Evaluation;

/// <summary>The trainer's validation, PredictionSet.Collect and the Predictor run one evaluation path and agree.</summary>
[Collection(SerialTests.Name)]
public sealed class EvaluationPathTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-evaluation-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(false, Precision.Fp32)]
    [InlineData(true, Precision.Fp32)]
    [InlineData(false, Precision.Bf16)]
    public void Trainer_prediction_set_and_predictor_agree_on_the_same_images(bool ensemble, Precision precision)
    {
        var (model, data, paths) = Trained(seed: 4);
        using var second = ensemble ? Trained(seed: 9).Model : null;
        using var evaluated = ensemble ? new Ensemble([model, second!]) : null;
        torch.nn.Module<torch.Tensor, torch.Tensor> subject = evaluated is null ? model : evaluated;
        var options = new InferenceOptions { Precision = precision };
        var loader = new DataLoader(data, model.Configuration.EvalTransform(), new DataLoaderOptions { BatchSize = 5 });
        var trainer = Trainer.For(model).UsePrecision(precision).Build();

        var result = trainer.Evaluate(loader, subject);
        var collected = PredictionSet.Collect(subject, loader, options: options);
        using var predictor = new Predictor(subject, model.Configuration, new PredictorOptions { Precision = precision });
        var predicted = predictor.PredictBatch(paths, batchSize: 4);

        Assert.Equal(paths.Count, result.Samples);
        Assert.Equal(result.Accuracy, collected.Accuracy);
        Assert.Equal(result.Top5Accuracy, collected.TopKAccuracy(5));
        for (var i = 0; i < paths.Count; i++)
        {
            Assert.Equal(collected.Probabilities(i).Select(p => (double)p), predicted[collected.Indices[i]].Probabilities, new ToleranceComparer(1e-6));
        }

        if (second is null)
        {
            model.Dispose();
        }
    }

    [Fact]
    public void Empty_input_gives_nan_metrics_and_no_predictions_everywhere()
    {
        var (model, _, _) = Trained(seed: 4);
        using (model)
        {
            var empty = new TensorDataset(torch.zeros(0, 1, 6, 6, dtype: torch.ScalarType.Byte), [], SeparableFolder.Classes);
            var loader = new DataLoader(empty, model.Configuration.EvalTransform(), new DataLoaderOptions { BatchSize = 5 });

            var result = Trainer.For(model).Build().Evaluate(loader);
            var collected = PredictionSet.Collect(model, loader);
            using var predictor = new Predictor(model);

            Assert.Equal(0, result.Samples);
            Assert.True(double.IsNaN(result.Accuracy) && double.IsNaN(result.Top5Accuracy) && double.IsNaN(result.Loss));
            Assert.Empty(collected.Samples);
            Assert.True(double.IsNaN(collected.Accuracy) && double.IsNaN(collected.TopKAccuracy(5)));
            Assert.Empty(predictor.PredictBatch([]));
        }
    }

    private (CnnModel Model, ImageFolderDataset Data, IReadOnlyList<string> Paths) Trained(int seed)
    {
        var root = Path.Combine(_dir, "images");
        if (!Directory.Exists(root))
        {
            SeparableFolder.Write(root, size: 6, perClass: 5);
        }

        var data = new ImageFolderDataset(root, new ImageFolderOptions { ColorMode = ColorMode.Grayscale });
        torch.manual_seed(seed);
        var model = CnnBuilder.Input(1, 6, 6).Conv(4, 3).ReLU().Flatten().Dense(3).Build();
        var loader = new DataLoader(data, new CnnClassify.Data.Transforms.Compose(new CnnClassify.Data.Transforms.ToTensor(), new CnnClassify.Data.Transforms.Normalize([0.3], [0.3])), new DataLoaderOptions { BatchSize = 5, Shuffle = true });
        Trainer.For(model).UseOptimizer(OptimizerSpec.Adam(0.02)).Build().Fit(loader, null, epochs: 1);
        return (model, data, data.Files);
    }
}
