using System.Globalization;
using CnnClassify.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// How to build an optimizer: the algorithm and its settings. The trainer calls
/// <see cref="Create"/> with the parameter groups to train, each with its own learning rate.
/// </summary>
public abstract class OptimizerSpec
{
    private OptimizerSpec(string name, double learningRate, double weightDecay)
    {
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be a finite number > 0.");
        }

        if (!(weightDecay >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "Weight decay must be >= 0.");
        }

        Name = name;
        LearningRate = learningRate;
        WeightDecay = weightDecay;
    }

    /// <summary>The algorithm's name, such as <c>adam</c>.</summary>
    public string Name { get; }

    /// <summary>The learning rate of parameters given without a group.</summary>
    public double LearningRate { get; }

    /// <summary>L2 penalty (decoupled for AdamW).</summary>
    public double WeightDecay { get; }

    /// <summary>SGD with optional momentum and Nesterov momentum.</summary>
    /// <param name="learningRate">The learning rate, above 0.</param>
    /// <param name="momentum">Momentum factor, in [0, 1).</param>
    /// <param name="nesterov">Whether to use Nesterov momentum; needs momentum above 0.</param>
    /// <param name="weightDecay">L2 penalty, at least 0.</param>
    public static OptimizerSpec Sgd(double learningRate, double momentum = 0, bool nesterov = false, double weightDecay = 0)
    {
        if (!(momentum >= 0 && momentum < 1) || (nesterov && momentum == 0))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Momentum must be in [0, 1), and above 0 for Nesterov.");
        }

        SGD.ParamGroup Group(ParameterGroup g) => new(g.Parameters, lr: g.LearningRate, momentum: momentum, weight_decay: weightDecay, nesterov: nesterov);
        return new Created("sgd", learningRate, weightDecay, groups => new HeldScalarSgd(groups.Select(Group), learningRate, momentum, weightDecay, nesterov), Group);
    }

    /// <summary>
    /// Adam (Kingma and Ba, 2015), with L2 weight decay. On the CPU the update runs in LibTorch's fused
    /// kernel, one pass over each parameter.
    /// </summary>
    /// <param name="learningRate">The learning rate, above 0.</param>
    /// <param name="beta1">Decay of the first-moment average.</param>
    /// <param name="beta2">Decay of the second-moment average.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="weightDecay">L2 penalty, at least 0.</param>
    public static OptimizerSpec Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
    {
        Adam.ParamGroup Group(ParameterGroup g) => new(g.Parameters, g.LearningRate, beta1, beta2, eps, weightDecay);
        return new Created("adam", learningRate, weightDecay, groups => new FusedAdam(groups.Select(Group), learningRate, beta1, beta2, eps, weightDecay), Group);
    }

    /// <summary>
    /// AdamW (Loshchilov and Hutter, 2019): Adam with decoupled weight decay. On the CPU the update runs
    /// in LibTorch's fused kernel, one pass over each parameter.
    /// </summary>
    /// <param name="learningRate">The learning rate, above 0.</param>
    /// <param name="weightDecay">Decoupled weight decay, at least 0 (PyTorch's default 0.01).</param>
    /// <param name="beta1">Decay of the first-moment average.</param>
    /// <param name="beta2">Decay of the second-moment average.</param>
    /// <param name="eps">Added to the denominator.</param>
    public static OptimizerSpec AdamW(double learningRate = 1e-3, double weightDecay = 0.01, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        AdamW.ParamGroup Group(ParameterGroup g) => new(g.Parameters, g.LearningRate, beta1, beta2, eps, weightDecay);
        return new Created("adamw", learningRate, weightDecay, groups => new FusedAdamW(groups.Select(Group), learningRate, beta1, beta2, eps, weightDecay), Group);
    }

    /// <summary>RMSprop.</summary>
    /// <param name="learningRate">The learning rate, above 0.</param>
    /// <param name="alpha">Decay of the squared-gradient average.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="momentum">Momentum factor, at least 0.</param>
    /// <param name="weightDecay">L2 penalty, at least 0.</param>
    public static OptimizerSpec RmsProp(double learningRate = 1e-2, double alpha = 0.99, double eps = 1e-8, double momentum = 0, double weightDecay = 0)
    {
        RMSProp.ParamGroup Group(ParameterGroup g) => new(g.Parameters, g.LearningRate, eps, alpha, weightDecay, momentum);
        return new Created("rmsprop", learningRate, weightDecay, groups => new HeldScalarRmsProp(groups.Select(Group), learningRate, alpha, eps, weightDecay, momentum), Group);
    }

    /// <summary>Creates the optimizer for <paramref name="groups"/>.</summary>
    /// <param name="groups">Parameter groups with their learning rates; at least one.</param>
    /// <exception cref="ArgumentException">No group, or a group without parameters.</exception>
    public optim.Optimizer Create(IReadOnlyList<ParameterGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count == 0 || groups.Any(g => g.Parameters.Count == 0))
        {
            throw new ArgumentException("Give at least one parameter group, each with parameters; are all parameters frozen?", nameof(groups));
        }

        return Build(groups);
    }

    /// <summary>Adds <paramref name="group"/> to a running optimizer made by <see cref="Create"/>, with this algorithm's settings and fresh state.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="group">The parameters and their learning rate.</param>
    /// <exception cref="ArgumentException">The group has no parameters.</exception>
    public void AddGroup(optim.Optimizer optimizer, ParameterGroup group)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(group);
        if (group.Parameters.Count == 0)
        {
            throw new ArgumentException($"Parameter group '{group.Name}' has no parameters.", nameof(group));
        }

        ((OptimizerHelper)optimizer).add_param_group(BuildGroup(group));
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}(lr={LearningRate.ToString(CultureInfo.InvariantCulture)})";

    private protected abstract optim.Optimizer Build(IReadOnlyList<ParameterGroup> groups);

    private protected abstract TorchSharp.Modules.ParamGroup BuildGroup(ParameterGroup group);

    private sealed class Created(string name, double learningRate, double weightDecay, Func<IReadOnlyList<ParameterGroup>, optim.Optimizer> build, Func<ParameterGroup, TorchSharp.Modules.ParamGroup> buildGroup)
        : OptimizerSpec(name, learningRate, weightDecay)
    {
        private protected override optim.Optimizer Build(IReadOnlyList<ParameterGroup> groups) => build(groups);

        private protected override TorchSharp.Modules.ParamGroup BuildGroup(ParameterGroup group) => buildGroup(group);
    }
}
