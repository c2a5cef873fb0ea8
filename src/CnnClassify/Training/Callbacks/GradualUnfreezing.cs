using System.Text.Json.Nodes;
using CnnClassify.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// Fine-tuning as a callback: the backbone is frozen when the trainer is built, so the head trains
/// alone first; then every <see cref="EpochsPerStage"/> epochs the next stage from the output side
/// is unfrozen and joins the running optimizer as a parameter group with its own learning rate
/// (discriminative fine-tuning, as in ULMFiT). The optimizer is never rebuilt, so its state, the
/// history and the schedule carry on; the schedule scales the new groups like the others.
/// </summary>
/// <remarks>
/// A stage's base learning rate is its entry in the given rates, or else the rate of the stage
/// after it (the head's for the last stage) times <see cref="LearningRateFactor"/>. The state is
/// checkpointed, so resuming between two stages restores the same groups before the optimizer state.
/// <code>
/// var trainer = Trainer.For(model)
///     .UseOptimizer(OptimizerSpec.Adam(1e-3))
///     .AddCallback(new GradualUnfreezing(epochsPerStage: 2, maxStages: 2))
///     .Build();
/// </code>
/// </remarks>
public sealed class GradualUnfreezing : TrainerCallback
{
    private readonly IReadOnlyDictionary<string, double> _stageLearningRates;
    private ClassificationModel? _model;

    /// <summary>Creates the schedule.</summary>
    /// <param name="epochsPerStage">Epochs between one unfreezing and the next (and before the first), at least 1.</param>
    /// <param name="maxStages">How many stages to unfreeze at most; <see langword="null"/> for all.</param>
    /// <param name="learningRateFactor">Each newly unfrozen stage's rate relative to the stage after it, in (0, 1]; ULMFiT's 1/2.6 by default.</param>
    /// <param name="stageLearningRates">Base learning rates by stage name (see <see cref="ClassificationModel.Stages"/>), overriding the factor.</param>
    /// <exception cref="ArgumentOutOfRangeException">A number is out of range.</exception>
    public GradualUnfreezing(int epochsPerStage = 1, int? maxStages = null, double learningRateFactor = 1 / 2.6, IReadOnlyDictionary<string, double>? stageLearningRates = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epochsPerStage, 1);
        if (maxStages is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxStages), maxStages, "maxStages must be at least 0.");
        }

        if (!(learningRateFactor > 0 && learningRateFactor <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRateFactor), learningRateFactor, "The factor must be in (0, 1].");
        }

        EpochsPerStage = epochsPerStage;
        MaxStages = maxStages;
        LearningRateFactor = learningRateFactor;
        _stageLearningRates = stageLearningRates ?? new Dictionary<string, double>();
    }

    /// <summary>Epochs between one unfreezing and the next.</summary>
    public int EpochsPerStage { get; }

    /// <summary>How many stages are unfrozen at most; <see langword="null"/> for all.</summary>
    public int? MaxStages { get; }

    /// <summary>A new stage's rate relative to the stage after it.</summary>
    public double LearningRateFactor { get; }

    /// <summary>Stages unfrozen so far, counted from the output side.</summary>
    public int UnfrozenStages { get; private set; }

    /// <summary>The groups added so far, in order, with their base learning rates.</summary>
    public IReadOnlyList<ParameterGroup> AddedGroups => _added;

    private readonly List<ParameterGroup> _added = [];

    /// <summary>Freezes the backbone, so the optimizer starts with the head alone.</summary>
    /// <param name="model">The model; it must be a <see cref="ClassificationModel"/>.</param>
    /// <exception cref="ArgumentException">The model is not a <see cref="ClassificationModel"/>, or a named stage does not exist.</exception>
    public override void OnBuild(nn.Module<Tensor, Tensor> model)
    {
        _model = model as ClassificationModel
            ?? throw new ArgumentException($"GradualUnfreezing needs a ClassificationModel (a zoo or CnnBuilder model) with stages; got {model?.GetType().Name}.", nameof(model));
        var unknown = _stageLearningRates.Keys.FirstOrDefault(name => _model.Stages.All(stage => stage.Name != name));
        if (unknown is not null)
        {
            throw new ArgumentException($"{_model.GetType().Name} has no stage '{unknown}'; its stages are {string.Join(", ", _model.Stages.Select(s => s.Name))}.", nameof(model));
        }

        _model.FreezeBackbone();
        UnfrozenStages = 0;
        _added.Clear();
    }

    /// <inheritdoc />
    public override void OnEpochBegin(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        UnfreezeTo(context.Trainer, context.Epoch / EpochsPerStage);
    }

    /// <inheritdoc />
    public override JsonObject? SaveState() => new() { ["unfrozen_stages"] = UnfrozenStages };

    /// <inheritdoc />
    public override void LoadState(JsonObject state, Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(trainer);
        var saved = state["unfrozen_stages"]?.GetValue<int>() ?? 0;
        if (saved < UnfrozenStages)
        {
            throw new InvalidOperationException($"The checkpoint was taken with {saved} unfrozen stages, but this trainer has already unfrozen {UnfrozenStages}; load it into a freshly built trainer.");
        }

        UnfreezeTo(trainer, saved);
    }

    private void UnfreezeTo(Trainer trainer, int wanted)
    {
        var model = _model ?? throw new InvalidOperationException("GradualUnfreezing runs only in a trainer that was built with it.");
        wanted = Math.Min(Math.Min(wanted, MaxStages ?? int.MaxValue), model.Stages.Count);
        while (UnfrozenStages < wanted)
        {
            var stage = model.Stages[model.Stages.Count - 1 - UnfrozenStages];
            var parameters = model.Unfreeze(stage);
            var previous = _added.Count > 0 ? _added[^1].LearningRate : trainer.BaseLearningRates[0];
            var rate = _stageLearningRates.TryGetValue(stage.Name, out var given) ? given : previous * LearningRateFactor;
            var group = new ParameterGroup(stage.Name, parameters, rate);
            if (parameters.Count > 0)
            {
                trainer.AddParameterGroup(group);
            }

            _added.Add(group);
            UnfrozenStages++;
        }
    }
}
