using CnnClassify.Models;
using CnnClassify.Native;
using TorchSharp;
using static TorchSharp.torch;
using DataLoader = CnnClassify.Data.DataLoader;

namespace CnnClassify.Runtime;

/// <summary>
/// The one evaluation path: how a model's forward pass runs outside training (no gradients,
/// autocast, channels-last, ensembles that average probabilities) and how its outputs become
/// probabilities and top-k hits. The trainer, <c>PredictionSet</c> and <c>Predictor</c> use it.
/// </summary>
internal static class ModelRunner
{
    /// <summary>The model's float32 outputs for <paramref name="images"/>, which must already be on the model's device.</summary>
    public static Tensor Outputs(nn.Module<Tensor, Tensor> model, Tensor images, Device device, InferenceOptions options)
    {
        Native.LibTorchSetup.Ensure();
        using var noGrad = torch.no_grad();
        if (options.ChannelsLast && images.dim() == 4)
        {
            images = images.ToChannelsLast();
        }

        using var autocast = PrecisionPolicy.For(PrecisionChoice.For(options.Precision, device).Precision, device).Autocast();
        return model.call(images).to(ScalarType.Float32);
    }

    /// <summary>Whether <paramref name="model"/> outputs probabilities rather than logits (an ensemble averaging probabilities).</summary>
    public static bool OutputsProbabilities(nn.Module model) => model is Ensemble { Averaging: EnsembleAveraging.Probabilities };

    /// <summary>The scores of <paramref name="outputs"/> as <paramref name="task"/> activates them; an ensemble averaging probabilities gives them as they are.</summary>
    public static Tensor Probabilities(nn.Module model, ClassificationTask task, Tensor outputs) => OutputsProbabilities(model) ? outputs : task.Activate(outputs);

    /// <summary>
    /// Runs <paramref name="model"/> in evaluation mode over every batch of <paramref name="loader"/>,
    /// giving each batch with the model's float32 outputs and probabilities, both on the model's device;
    /// the model's training flag is restored afterwards.
    /// </summary>
    public static void Evaluate(nn.Module<Tensor, Tensor> model, ClassificationTask task, DataLoader loader, Device device, InferenceOptions options, Action<Data.Batch, Tensor, Tensor, Tensor> onBatch)
    {
        if (options.TestTimeAugmentation is { } views)
        {
            EvaluateViews(model, task, loader, device, options, views, onBatch);
            return;
        }

        var wasTraining = model.training;
        model.eval();
        try
        {
            foreach (var batch in loader.Epoch())
            {
                using var scope = torch.NewDisposeScope();
                using (batch)
                {
                    var labels = batch.Labels.to(device);
                    var outputs = Outputs(model, batch.Images.to(device), device, options);
                    onBatch(batch, labels, outputs, Probabilities(model, task, outputs));
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    // Test-time augmentation: one pass over the data per transform (and epoch of a random one),
    // in the same order; each batch's views averaged, with the weighted mean logits as outputs.
    private static void EvaluateViews(nn.Module<Tensor, Tensor> model, ClassificationTask task, DataLoader loader, Device device, InferenceOptions options, TestTimeAugmentation tta, Action<Data.Batch, Tensor, Tensor, Tensor> onBatch)
    {
        if (tta.Averaging == TestTimeAveraging.Logits && OutputsProbabilities(model))
        {
            throw new ArgumentException("The model averages probabilities itself (an ensemble), so its views cannot be averaged in logits.", nameof(options));
        }

        var single = options with { TestTimeAugmentation = null };
        var passes = tta.Views.GroupBy(v => (v.Transform, v.Epoch))
            .Select(g => (Loader: g.Key.Transform is null && !loader.Options.Shuffle ? loader : new DataLoader(loader.Dataset, g.Key.Transform ?? loader.Transform, loader.Options with { Shuffle = false }), g.Key.Epoch, Views: g.ToList()))
            .ToList();
        var wasTraining = model.training;
        model.eval();
        var batches = passes.Select(p => p.Loader.Epoch(p.Epoch).GetEnumerator()).ToList();
        try
        {
            while (batches[0].MoveNext())
            {
                var current = new List<Data.Batch> { batches[0].Current };
                try
                {
                    foreach (var other in batches.Skip(1))
                    {
                        if (!other.MoveNext())
                        {
                            throw new InvalidOperationException("A test-time view gave fewer batches than the first.");
                        }

                        current.Add(other.Current);
                    }

                    if (current.Any(b => !b.Indices.SequenceEqual(current[0].Indices)))
                    {
                        throw new InvalidOperationException("A test-time view skipped other images than the first (an image failed in one view only).");
                    }

                    using var scope = torch.NewDisposeScope();
                    Tensor? logits = null, probabilities = null;
                    for (var p = 0; p < passes.Count; p++)
                    {
                        var images = current[p].Images.to(device);
                        foreach (var view in passes[p].Views)
                        {
                            var outputs = Outputs(model, view.Mirror ? images.flip(3) : images, device, single);
                            using var weight = view.Weight.ToScalar();
                            logits = Accumulate(logits, outputs.mul(weight));
                            if (tta.Averaging == TestTimeAveraging.Probabilities)
                            {
                                probabilities = Accumulate(probabilities, Probabilities(model, task, outputs).mul(weight));
                            }
                        }
                    }

                    onBatch(current[0], current[0].Labels.to(device), logits!, probabilities ?? Probabilities(model, task, logits!));
                }
                finally
                {
                    current.ForEach(b => b.Dispose());
                }
            }
        }
        finally
        {
            batches.ForEach(b => b.Dispose());
            model.train(wasTraining);
        }
    }

    private static Tensor Accumulate(Tensor? sum, Tensor term) => sum is null ? term : sum.add(term, HeldScalars.One);

    /// <summary>The device of the model's first parameter, or the CPU for a model without parameters.</summary>
    public static Device DeviceOf(nn.Module model) => model.parameters().FirstOrDefault()?.device ?? CPU;
}
