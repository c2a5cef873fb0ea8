using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// Base of the model zoo: an image classifier with a backbone made of named stages and a linear
/// head, which supports head replacement, freezing and per-stage learning rates for fine-tuning.
/// </summary>
/// <remarks>
/// BatchNorm layers whose parameters are all frozen stay in evaluation mode when the model is put
/// in training mode, so their running statistics do not drift while the rest is fine-tuned.
/// </remarks>
public abstract class ClassificationModel : nn.Module<Tensor, Tensor>
{
    private ModelConfiguration _configuration = new();

    /// <summary>Creates the model.</summary>
    /// <param name="name">The module name.</param>
    protected ClassificationModel(string name)
        : base(name)
    {
        Native.LibTorchSetup.Ensure();
    }

    /// <summary>
    /// What describes the model apart from its weights: architecture, input, class names and
    /// evaluation preprocessing. Zoo and builder models fill it in when they are created, the
    /// trainer adds the class names and preprocessing of its data, and checkpoints and predictors
    /// read it. <see cref="ModelConfiguration.NumClasses"/> always reports the head's size.
    /// </summary>
    /// <exception cref="ArgumentException">On set: the class names do not match the head's size, or the configuration is inconsistent.</exception>
    public ModelConfiguration Configuration
    {
        get => _configuration with { NumClasses = (int)NumClasses };
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            var configuration = value with { NumClasses = (int)NumClasses };
            try
            {
                configuration.Validate(GetType().Name);
            }
            catch (InvalidDataException ex)
            {
                throw new ArgumentException(ex.Message, nameof(value), ex);
            }

            _configuration = configuration;
        }
    }

    /// <summary>
    /// The outputs a training step computes its loss from, each with its weight in the loss; the
    /// first is the one the metrics count. A model is called once; the default is its output with
    /// weight 1. Models with auxiliary heads (GoogLeNet) override it, as Keras models override
    /// <c>compute_loss</c>: the trainer then minimises the weighted sum of each output's loss.
    /// </summary>
    /// <param name="inputs">The batch's inputs, in training mode.</param>
    public virtual IReadOnlyList<WeightedOutput> TrainingOutputs(Tensor inputs) => [new(call(inputs), 1.0)];

    /// <summary>Names the zoo architecture of <paramref name="model"/> in its configuration.</summary>
    internal static T WithArchitecture<T>(T model, string architecture)
        where T : ClassificationModel
    {
        model.Configuration = model.Configuration with { Architecture = architecture };
        return model;
    }

    /// <summary>Dotted path of the final linear layer, such as <c>fc</c> or <c>classifier.6</c>.</summary>
    public abstract string HeadName { get; }

    /// <summary>
    /// Dotted paths of every final linear layer that predicts the classes: <see cref="HeadName"/>
    /// and, for models with auxiliary classifiers (GoogLeNet, Inception v3), theirs. Fine-tuning
    /// treats them all as the head.
    /// </summary>
    public virtual IReadOnlyList<string> HeadNames => [HeadName];

    /// <summary>
    /// The backbone's stages from input to output, such as <c>stem</c>, <c>layer1</c>, ...
    /// <c>layer4</c> for ResNet. The head is not part of any stage. Unfreezing works stage by stage
    /// from the last.
    /// </summary>
    public abstract IReadOnlyList<ModelStage> Stages { get; }

    /// <summary>The final linear layer.</summary>
    /// <exception cref="InvalidOperationException">The head is not a linear layer (SqueezeNet's is a 1x1 convolution).</exception>
    public Linear Head => ModuleSurgery.Find(this, HeadName) as Linear
        ?? throw new InvalidOperationException($"{GetType().Name}'s head '{HeadName}' is a {ModuleSurgery.Find(this, HeadName).GetType().Name}, not a linear layer.");

    /// <summary>The number of classes the head predicts.</summary>
    public virtual long NumClasses => Head.out_features;

    /// <summary>Replaces the head with a freshly initialised linear layer for <paramref name="numClasses"/> classes.</summary>
    /// <param name="numClasses">The new number of classes, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numClasses"/> is below 1.</exception>
    public virtual void ReplaceHead(int numClasses)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        var old = Head;
        var head = nn.Linear(old.in_features, numClasses, hasBias: old.bias is not null);
        head.to(old.weight.device);
        ReplaceModule(HeadName, head);
        old.Dispose();
        _configuration = _configuration with { ClassNames = [] };
    }

    /// <inheritdoc />
    public override void train(bool train = true)
    {
        base.train(train);
        if (train)
        {
            FineTuning.KeepFrozenBatchNormInEval(this);
        }
    }

    /// <summary>
    /// Puts <paramref name="replacement"/> at the dotted <paramref name="path"/> in place of the module
    /// there, such as a wider <c>classifier.0</c>. The old module is not disposed.
    /// </summary>
    /// <param name="path">The dotted path of a head or classifier layer, such as <c>fc</c> or <c>classifier.6</c>.</param>
    /// <param name="replacement">The replacement.</param>
    /// <exception cref="ArgumentException">The model cannot replace the module at <paramref name="path"/>.</exception>
    public abstract void ReplaceModule(string path, nn.Module<Tensor, Tensor> replacement);

    /// <summary>Checks that <paramref name="path"/> is the head and <paramref name="replacement"/> a linear layer, for models that can replace only their head.</summary>
    /// <param name="path">The path given to <see cref="ReplaceModule"/>.</param>
    /// <param name="replacement">The module given to <see cref="ReplaceModule"/>.</param>
    /// <returns>The replacement as a linear layer.</returns>
    /// <exception cref="ArgumentException">The path is not the head's, or the replacement is not linear.</exception>
    protected Linear AsHeadReplacement(string path, nn.Module<Tensor, Tensor> replacement) =>
        path == HeadName && replacement is Linear linear
            ? linear
            : throw new ArgumentException($"{GetType().Name} can replace only its head '{HeadName}' with a Linear layer, not '{path}' with {replacement?.GetType().Name}.", nameof(path));

    /// <summary>Replaces the registration of the direct child <paramref name="name"/>.</summary>
    /// <param name="name">The child's name.</param>
    /// <param name="replacement">The new child.</param>
    protected void ReRegister(string name, nn.Module replacement)
    {
        register_module(name, null!);
        register_module(name, replacement);
    }
}
