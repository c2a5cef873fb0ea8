using CnnClassify.Data;
using CnnClassify.Data.Transforms;
using CnnClassify.Inference;
using CnnClassify.Layers;
using CnnClassify.Models;
using CnnClassify.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using DataLoader = CnnClassify.Data.DataLoader;

namespace CnnClassify.Training;

/// <summary>
/// A frozen backbone's output, computed once: what a model's head receives for every image of a
/// loader, so that training the head alone (<see cref="TrainerBuilder.UseCachedFeatures"/>) needs
/// no backbone pass after the first, as in Keras's transfer-learning guide. Valid only when the
/// backbone is frozen and deterministic and the images' pipeline has no random step;
/// <see cref="WhyNotCacheable"/> says when it is not.
/// </summary>
public static class BackboneFeatures
{
    /// <summary>
    /// Why the head's input of <paramref name="model"/> cannot be cached with <paramref name="transform"/>,
    /// in one line; <see langword="null"/> when it can: every parameter outside the head is frozen,
    /// no layer before the head is random in training mode (dropout, stochastic depth), and no
    /// step of the pipeline is random.
    /// </summary>
    /// <param name="model">The model, with its backbone frozen (<see cref="FineTuning.FreezeBackbone"/>).</param>
    /// <param name="transform">The images' pipeline, or <see langword="null"/> for none.</param>
    public static string? WhyNotCacheable(ClassificationModel model, IImageTransform? transform)
    {
        ArgumentNullException.ThrowIfNull(model);
        var head = model.HeadName;
        bool InHead(string name) => name == head || name.StartsWith(head + ".", StringComparison.Ordinal);
        if (ModuleSurgery.Find(model, head) is not TorchSharp.Modules.Linear)
        {
            return $"the head '{head}' is not a linear layer on pooled features";
        }

        var trainable = model.named_parameters().FirstOrDefault(p => p.parameter.requires_grad && !InHead(p.name));
        if (trainable.name is not null)
        {
            return $"parameter '{trainable.name}' outside the head '{head}' trains, so the backbone's output changes every step";
        }

        foreach (var (name, module, _) in ModuleTree.Walk(model))
        {
            if (!InHead(name) && IsRandomInTraining(module))
            {
                return $"layer '{name}' ({module.GetType().Name}) is random in training mode, so the head's input differs every epoch";
            }
        }

        return RandomStep(transform) is { } step
            ? $"the pipeline's {step} is random, so each epoch sees other images (use no augmentation to cache)"
            : null;
    }

    /// <summary>
    /// Runs every image of <paramref name="loader"/> through <paramref name="model"/> once, in
    /// evaluation mode without gradients, and keeps what its head receives, on the CPU.
    /// </summary>
    /// <param name="model">The model, with a frozen, deterministic backbone.</param>
    /// <param name="loader">The images, in any order; the features keep the dataset's order.</param>
    /// <param name="options">Precision and layout of the pass; <see langword="null"/> for float32.</param>
    /// <returns>
    /// The features [N, F] in dataset order with the dataset's labels and classes (images the
    /// loader skips as unreadable are left out); the caller disposes it.
    /// </returns>
    /// <exception cref="InvalidOperationException">The model's output is not its head applied to what the head receives.</exception>
    public static FeatureDataset Compute(ClassificationModel model, DataLoader loader, InferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loader);
        var headModule = model.Head;
        var device = ModelRunner.DeviceOf(model);
        var rows = new List<(int[] Indices, Tensor Features)>();
        Tensor? captured = null;
        var remover = headModule.register_forward_hook((_, input, _) =>
        {
            captured?.Dispose();
            captured = input.detach().to(ScalarType.Float32).cpu().clone().DetachFromDisposeScope();
            return null!;
        });
        var checkedOnce = false;
        try
        {
            ModelRunner.Evaluate(model, ClassificationTask.For(model.Configuration), loader, device, options ?? new InferenceOptions(), (batch, _, outputs, _) =>
            {
                var features = captured ?? throw new InvalidOperationException($"{model.GetType().Name}'s head '{model.HeadName}' did not run in the forward pass.");
                captured = null;
                if (!checkedOnce)
                {
                    checkedOnce = true;
                    CheckHeadIsLast(model, headModule, features, outputs, device, options ?? new InferenceOptions());
                    captured?.Dispose();  // the check ran the head again
                    captured = null;
                }

                rows.Add((batch.Indices.ToArray(), features));
            });

            if (rows.Count == 0)
            {
                throw new InvalidOperationException("No image could be read, so there are no features to cache.");
            }

            // Rows in dataset order; images the loader skipped (unreadable files, with a warning) are left out.
            var order = rows.SelectMany(r => r.Indices).ToArray();
            using var scope = torch.NewDisposeScope();
            var all = torch.cat(rows.Select(r => r.Features).ToArray(), 0);
            using var positions = torch.tensor(order.Select(i => (long)i).ToArray());
            var sorted = all.index_select(0, positions.argsort());
            var indices = order.Order().ToArray();
            var data = loader.Dataset;
            return data.IsMultiLabel
                ? new FeatureDataset(sorted.MoveToOuterDisposeScope(), [.. indices.Select(data.LabelsAt)], data.Classes, "backbone features")
                : new FeatureDataset(sorted.MoveToOuterDisposeScope(), [.. indices.Select(i => data.LabelAt(i))], data.Classes, "backbone features");
        }
        finally
        {
            remover.remove();
            foreach (var (_, features) in rows)
            {
                features.Dispose();
            }

            captured?.Dispose();
        }
    }

    private static void CheckHeadIsLast(ClassificationModel model, nn.Module<Tensor, Tensor> head, Tensor features, Tensor outputs, Device device, InferenceOptions options)
    {
        using var scope = torch.NewDisposeScope();
        var again = ModelRunner.Outputs(head, features.to(device), device, options);
        var difference = again.sub(outputs).abs().max().item<float>();
        var scale = Math.Max(1f, outputs.abs().max().item<float>());
        if (!(difference <= 1e-4f * scale))
        {
            throw new InvalidOperationException($"{model.GetType().Name}'s output is not its head '{model.HeadName}' applied to the head's input (they differ by {difference:G3}), so its features cannot be cached.");
        }
    }

    private static bool IsRandomInTraining(nn.Module module) => module switch
    {
        TorchSharp.Modules.Dropout d => d is not null,
        TorchSharp.Modules.Dropout1d or TorchSharp.Modules.Dropout2d or TorchSharp.Modules.Dropout3d => true,
        TorchSharp.Modules.AlphaDropout or TorchSharp.Modules.FeatureAlphaDropout => true,
        StochasticDepth => true,
        _ => false,
    };

    private static string? RandomStep(IImageTransform? transform) => transform switch
    {
        null => null,
        Data.Transforms.Compose compose => compose.Transforms.Select(RandomStep).FirstOrDefault(s => s is not null),
        Data.Transforms.Resize or Data.Transforms.CenterCrop or Data.Transforms.ToTensor or Data.Transforms.Normalize => null,
        _ => transform.GetType().Name,
    };
}
