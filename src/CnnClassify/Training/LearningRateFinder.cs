using CnnClassify.Runtime;
using static TorchSharp.torch;
using DataLoader = CnnClassify.Data.DataLoader;

namespace CnnClassify.Training;

/// <summary>
/// The learning-rate range test for a model without a trainer: a shortcut for
/// <see cref="Trainer.FindLearningRate"/> on a trainer with the given optimizer and loss.
/// </summary>
public static class LearningRateFinder
{
    /// <summary>Runs the range test; the model's weights are put back when it ends.</summary>
    /// <param name="model">The model.</param>
    /// <param name="loader">Training batches; it is cycled if it has fewer batches than steps.</param>
    /// <param name="optimizer">The optimizer to test; default Adam.</param>
    /// <param name="loss">The loss; default cross-entropy.</param>
    /// <param name="startLearningRate">The first rate, above 0.</param>
    /// <param name="endLearningRate">The last rate, above the first.</param>
    /// <param name="steps">Steps to try, 5 to 10,000.</param>
    /// <param name="divergeFactor">Stop when the smoothed loss exceeds this multiple of the best.</param>
    public static LearningRateFinderResult Run(nn.Module<Tensor, Tensor> model, DataLoader loader, OptimizerSpec? optimizer = null, LossFunction? loss = null,
        double startLearningRate = 1e-7, double endLearningRate = 10, int steps = 100, double divergeFactor = 4)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loader);
        var options = new LearningRateFinderOptions { StartLearningRate = startLearningRate, EndLearningRate = endLearningRate, Steps = steps, DivergeFactor = divergeFactor };
        options.Validate();
        var trainer = Trainer.For(model).UseOptimizer(optimizer ?? OptimizerSpec.Adam()).UseLoss(loss ?? LossFunction.CrossEntropy()).UsePrecision(Precision.Fp32).Build();
        return trainer.FindLearningRate(loader, options);
    }
}
