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

    /// <summary>The device of the model's first parameter, or the CPU for a model without parameters.</summary>
    public static Device DeviceOf(nn.Module model) => model.parameters().FirstOrDefault()?.device ?? CPU;
}
