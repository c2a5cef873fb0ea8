using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// Freezing, unfreezing and per-stage learning rates for fine-tuning a <see cref="ClassificationModel"/>.
/// </summary>
/// <remarks>
/// Frozen parameters have <c>requires_grad</c> off, so they receive no gradient and no update.
/// Their BatchNorm layers are kept in evaluation mode while the model trains. Build the optimizer
/// from <see cref="TrainableParameters"/> or <see cref="ParameterGroups"/> after changing what is
/// frozen, since an optimizer only updates the parameters it was given.
/// </remarks>
public static class FineTuning
{
    /// <summary>Freezes every parameter except the head's.</summary>
    /// <param name="model">The model.</param>
    public static void FreezeBackbone(this ClassificationModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var head = model.HeadName + ".";
        foreach (var (name, parameter) in model.named_parameters())
        {
            parameter.requires_grad = IsHead(model, name, head);
        }

        Refresh(model);
    }

    /// <summary>Makes the last <paramref name="count"/> stages and the head trainable and freezes the rest.</summary>
    /// <param name="model">The model.</param>
    /// <param name="count">Stages to unfreeze from the output side, from 0 (head only) to the number of stages.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or above the number of stages.</exception>
    public static void UnfreezeLastStages(this ClassificationModel model, int count)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, model.Stages.Count);
        var unfrozen = model.Stages.Skip(model.Stages.Count - count).ToList();
        var head = model.HeadName + ".";
        foreach (var (name, parameter) in model.named_parameters())
        {
            parameter.requires_grad = IsHead(model, name, head) || unfrozen.Any(stage => stage.Contains(name));
        }

        Refresh(model);
    }

    /// <summary>Makes the parameters of <paramref name="stage"/> trainable, leaving the rest as they are.</summary>
    /// <param name="model">The model.</param>
    /// <param name="stage">One of the model's <see cref="ClassificationModel.Stages"/>.</param>
    /// <returns>The parameters that were frozen and now train, in model order.</returns>
    public static IReadOnlyList<Parameter> Unfreeze(this ClassificationModel model, ModelStage stage)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stage);
        var head = model.HeadName + ".";
        var unfrozen = new List<Parameter>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!parameter.requires_grad && stage.Contains(name) && !IsHead(model, name, head))
            {
                parameter.requires_grad = true;
                unfrozen.Add(parameter);
            }
        }

        Refresh(model);
        return unfrozen;
    }

    /// <summary>Makes every parameter trainable.</summary>
    /// <param name="model">The model.</param>
    public static void UnfreezeAll(this ClassificationModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var parameter in model.parameters())
        {
            parameter.requires_grad = true;
        }

        Refresh(model);
    }

    /// <summary>The parameters that require gradients, the ones an optimizer should receive.</summary>
    /// <param name="model">Any module.</param>
    public static IReadOnlyList<Parameter> TrainableParameters(this nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.parameters().Where(p => p.requires_grad).ToList();
    }

    /// <summary>
    /// Splits the trainable parameters into groups with their own learning rates, such as the
    /// seed's <c>layer4</c> 1e-4, <c>layer3</c> 1e-5 and head 1e-3.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="headLearningRate">Learning rate of the head.</param>
    /// <param name="stageLearningRates">Learning rate per stage name (see <see cref="ClassificationModel.Stages"/>).</param>
    /// <param name="otherLearningRate">Learning rate of trainable parameters in no listed stage; <see langword="null"/> requires every trainable parameter to be covered.</param>
    /// <returns>One group per head, stage and "other", in that order, each holding only trainable parameters; empty groups are left out.</returns>
    /// <exception cref="ArgumentException">A stage name is unknown, or trainable parameters are left without a learning rate.</exception>
    public static IReadOnlyList<ParameterGroup> ParameterGroups(this ClassificationModel model, double headLearningRate, IReadOnlyDictionary<string, double> stageLearningRates, double? otherLearningRate = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stageLearningRates);
        var stages = stageLearningRates.Keys.Select(name => model.Stages.FirstOrDefault(stage => stage.Name == name)
            ?? throw new ArgumentException($"{model.GetType().Name} has no stage '{name}'; its stages are {string.Join(", ", model.Stages.Select(s => s.Name))}.", nameof(stageLearningRates))).ToList();

        var head = model.HeadName + ".";
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        var groups = new List<ParameterGroup>
        {
            new("head", trainable.Where(p => IsHead(model, p.name, head)).Select(p => p.parameter).ToList(), headLearningRate),
        };
        groups.AddRange(stages.Select(stage => new ParameterGroup(
            stage.Name,
            trainable.Where(p => !IsHead(model, p.name, head) && stage.Contains(p.name)).Select(p => p.parameter).ToList(),
            stageLearningRates[stage.Name])));

        var rest = trainable.Where(p => !IsHead(model, p.name, head) && !stages.Any(stage => stage.Contains(p.name))).ToList();
        if (rest.Count > 0)
        {
            if (otherLearningRate is not { } other)
            {
                var examples = string.Join(", ", rest.Take(3).Select(p => p.name));
                throw new ArgumentException($"{rest.Count} trainable parameters ({examples}, ...) are in no listed stage; freeze them, list their stages, or pass otherLearningRate.", nameof(stageLearningRates));
            }

            groups.Add(new ParameterGroup("other", rest.Select(p => p.parameter).ToList(), other));
        }

        return groups.Where(group => group.Parameters.Count > 0).ToList();
    }

    /// <summary>
    /// Layer-wise learning-rate decay, as timm's <c>--layer-decay</c>: the head trains at
    /// <paramref name="learningRate"/> and each stage below it at <paramref name="decay"/> times the
    /// rate of the stage above, so the last stage gets <c>lr * decay</c> and the first
    /// <c>lr * decay^n</c> of n stages. Early layers, whose features are the most general, change
    /// least. Parameters in no stage (none in the zoo's models) take the first stage's rate times
    /// <paramref name="decay"/> once more.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="learningRate">The head's learning rate, above 0.</param>
    /// <param name="decay">The factor per stage, in (0, 1]; 1 gives every stage the head's rate. timm's fine-tuning recipes use 0.65 to 0.85.</param>
    /// <returns>One group per stage with trainable parameters, from the head to the first stage, then "other" if needed.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public static IReadOnlyList<ParameterGroup> LayerDecayGroups(this ClassificationModel model, double learningRate, double decay)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be a positive number.");
        }

        if (!(decay > 0 && decay <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(decay), decay, "The layer decay must be in (0, 1].");
        }

        var stages = model.Stages;
        var rates = stages.Select((stage, i) => (stage.Name, Rate: learningRate * Math.Pow(decay, stages.Count - i))).ToDictionary(s => s.Name, s => s.Rate);
        var groups = model.ParameterGroups(learningRate, rates, learningRate * Math.Pow(decay, stages.Count + 1));
        return [.. groups.Where(g => g.Name == "head"), .. groups.Where(g => g.Name != "head" && g.Name != "other").Reverse(), .. groups.Where(g => g.Name == "other")];
    }

    /// <summary>Puts BatchNorm layers whose parameters are all frozen into evaluation mode.</summary>
    internal static void KeepFrozenBatchNormInEval(nn.Module model)
    {
        foreach (var (_, module, _) in ModuleTree.Walk(model))
        {
            if (module is BatchNorm norm && norm.parameters().All(p => !p.requires_grad))
            {
                norm.eval();
            }
        }
    }

    private static bool IsHead(ClassificationModel model, string name, string headPrefix) =>
        name.StartsWith(headPrefix, StringComparison.Ordinal)
        || model.HeadNames.Any(head => name.StartsWith(head + ".", StringComparison.Ordinal));

    private static void Refresh(ClassificationModel model)
    {
        if (model.training)
        {
            model.train();
        }
    }
}
