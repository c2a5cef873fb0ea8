using CnnClassify.Models;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>Summaries for any TorchSharp module, not only those made by <see cref="CnnBuilder"/>.</summary>
public static class ModuleSummaryExtensions
{
    /// <summary>Summarises <paramref name="model"/> for one input sample of <paramref name="inputShape"/>.</summary>
    /// <param name="model">Any module that maps a batch tensor to a batch tensor.</param>
    /// <param name="inputShape">The shape of one input sample, without the batch dimension.</param>
    /// <param name="depth">How many levels of nested modules get a row; 1 lists the top-level children.</param>
    /// <returns>The summary; its <see cref="ModelSummary.ToString"/> is a printable table.</returns>
    public static ModelSummary Summary(this nn.Module<Tensor, Tensor> model, SampleShape inputShape, int depth = 1) =>
        ModelSummary.Create(model, inputShape, depth);

    /// <summary>Summarises <paramref name="model"/> for one sample of the input its <see cref="ClassificationModel.Configuration"/> describes.</summary>
    /// <param name="model">A zoo or builder model.</param>
    /// <param name="depth">How many levels of nested modules get a row; 1 lists the top-level children.</param>
    /// <returns>The summary; its <see cref="ModelSummary.ToString"/> is a printable table.</returns>
    public static ModelSummary Summary(this ClassificationModel model, int depth = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        var input = model.Configuration;
        return ModelSummary.Create(model, SampleShape.Image(input.InChannels, input.InputHeight, input.InputWidth), depth);
    }
}
