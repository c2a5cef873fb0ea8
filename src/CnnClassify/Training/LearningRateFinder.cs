using CnnClassify.Models;
using CnnClassify.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using DataLoader = CnnClassify.Data.DataLoader;

namespace CnnClassify.Training;

/// <summary>
/// The learning-rate range test (Smith, 2017): trains for a few steps while raising the rate
/// exponentially, records the smoothed loss, stops once it diverges, and suggests the rate where
/// the loss fell fastest. The model's weights are restored afterwards.
/// </summary>
public static class LearningRateFinder
{
    /// <summary>Runs the range test.</summary>
    /// <param name="model">The model; its weights are put back when the test ends.</param>
    /// <param name="loader">Training batches; it is cycled if it has fewer batches than steps.</param>
    /// <param name="optimizer">The optimizer to test; default Adam.</param>
    /// <param name="loss">The loss; default cross-entropy.</param>
    /// <param name="startLearningRate">The first rate, above 0.</param>
    /// <param name="endLearningRate">The last rate, above the first.</param>
    /// <param name="steps">Steps to try, at least 5.</param>
    /// <param name="divergeFactor">Stop when the smoothed loss exceeds this multiple of the best.</param>
    public static LearningRateFinderResult Run(nn.Module<Tensor, Tensor> model, DataLoader loader, OptimizerSpec? optimizer = null, LossFunction? loss = null,
        double startLearningRate = 1e-7, double endLearningRate = 10, int steps = 100, double divergeFactor = 4)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loader);
        if (!(startLearningRate > 0) || !(endLearningRate > startLearningRate) || steps < 5 || !(divergeFactor > 1))
        {
            throw new ArgumentOutOfRangeException(nameof(steps), "Need 0 < start < end, steps >= 5 and divergeFactor > 1.");
        }

        loss ??= LossFunction.CrossEntropy();
        var saved = model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());
        var device = model.parameters().First().device;
        var rates = new List<double>();
        var losses = new List<double>();
        using var optim = (optimizer ?? OptimizerSpec.Adam()).Create([new ParameterGroup("all", model.TrainableParameters(), startLearningRate)]);
        const double beta = 0.98;
        double average = 0, best = double.MaxValue;
        try
        {
            model.train();
            var epoch = 0;
            while (rates.Count < steps)
            {
                foreach (var batch in loader.Epoch(epoch++))
                {
                    using var scope = torch.NewDisposeScope();
                    using (batch)
                    {
                        var rate = startLearningRate * Math.Pow(endLearningRate / startLearningRate, (double)rates.Count / (steps - 1));
                        foreach (var group in optim.ParamGroups)
                        {
                            group.LearningRate = rate;
                        }

                        var value = loss.Compute(model.call(batch.Images.to(device)), batch.Labels.to(device));
                        optim.zero_grad();
                        value.backward();
                        optim.step();
                        average = (beta * average) + ((1 - beta) * value.item<float>());
                        var smoothed = average / (1 - Math.Pow(beta, rates.Count + 1));
                        rates.Add(rate);
                        losses.Add(smoothed);
                        best = Math.Min(best, smoothed);
                        if (!double.IsFinite(smoothed) || smoothed > divergeFactor * best || rates.Count >= steps)
                        {
                            return new LearningRateFinderResult(rates, losses, Suggest(rates, losses));
                        }
                    }
                }
            }

            return new LearningRateFinderResult(rates, losses, Suggest(rates, losses));
        }
        finally
        {
            using (torch.no_grad())
            {
                foreach (var (name, tensor) in model.state_dict())
                {
                    tensor.copy_(saved[name]);
                }
            }

            foreach (var tensor in saved.Values)
            {
                tensor.Dispose();
            }
        }
    }

    private static double Suggest(List<double> rates, List<double> losses)
    {
        // The steepest descent of the smoothed loss against log rate, ignoring the noisy ends.
        var bestIndex = 0;
        var steepest = double.MaxValue;
        for (var i = 1; i < losses.Count - 1; i++)
        {
            var slope = (losses[i + 1] - losses[i - 1]) / (Math.Log(rates[i + 1]) - Math.Log(rates[i - 1]));
            if (double.IsFinite(slope) && slope < steepest)
            {
                (steepest, bestIndex) = (slope, i);
            }
        }

        return rates[bestIndex];
    }
}
