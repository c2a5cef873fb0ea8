using CnnClassify.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Explanation;

/// <summary>
/// Images a <see cref="Inference.Predictor"/> explained: the inputs as the model saw them, their
/// class activation maps and the class names, ready to draw. Owns its tensors; dispose it.
/// </summary>
public sealed class ExplainedImages : IDisposable
{
    internal ExplainedImages(IReadOnlyList<string> sources, Tensor inputs, ClassActivationMaps maps, IReadOnlyList<string> classNames, Preprocessing preprocessing)
    {
        Sources = sources;
        Inputs = inputs;
        Maps = maps;
        ClassNames = classNames;
        Preprocessing = preprocessing;
    }

    /// <summary>The image files (or names), in order.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>The preprocessed inputs [N, C, H, W], on the CPU.</summary>
    public Tensor Inputs { get; }

    /// <summary>The maps.</summary>
    public ClassActivationMaps Maps { get; }

    /// <summary>The model's class names.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The normalisation the inputs went through (undone for display).</summary>
    public Preprocessing Preprocessing { get; }

    /// <summary>The name of the class the map of image <paramref name="index"/> explains.</summary>
    /// <param name="index">The image.</param>
    public string ExplainedClass(int index) => ClassNames[Maps.Classes[index]];

    /// <summary>The name of the class predicted for image <paramref name="index"/>.</summary>
    /// <param name="index">The image.</param>
    public string PredictedClass(int index) => ClassNames[Maps.Predicted[index]];

    /// <summary>Writes every image beside its heatmap, captioned (<see cref="HeatmapPlot.SaveGrid"/>).</summary>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="columns">Images per row; by default up to 4.</param>
    public void Save(string path, int columns = 0) =>
        HeatmapPlot.SaveGrid(Maps, Inputs, ClassNames, path, Preprocessing, columns: columns > 0 ? columns : Math.Min(4, Maps.Count));

    /// <summary>Writes image <paramref name="index"/> with its heatmap blended over it.</summary>
    /// <param name="index">The image.</param>
    /// <param name="path">The PNG file to write (atomically).</param>
    /// <param name="alpha">The map's weight in the blend.</param>
    public void SaveOverlay(int index, string path, double alpha = 0.5)
    {
        using var scope = torch.NewDisposeScope();
        using var upsampled = Maps.Upsampled();
        HeatmapPlot.SaveOverlay(HeatmapPlot.Display(Inputs, Preprocessing)[index], upsampled[index], path, alpha);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Inputs.Dispose();
        Maps.Dispose();
    }
}
