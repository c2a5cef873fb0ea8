using CnnClassify.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// torchvision's <c>transform_input</c> for GoogLeNet and Inception v3: the published weights were
/// trained on RGB input in [-1, 1], so input normalised with ImageNet's mean and std is mapped
/// back per channel by <c>(x * std + mean - 0.5) / 0.5</c>.
/// </summary>
internal static class InputTransform
{
    private static readonly float[] Scale = [0.229f / 0.5f, 0.224f / 0.5f, 0.225f / 0.5f];
    private static readonly float[] Shift = [(0.485f - 0.5f) / 0.5f, (0.456f - 0.5f) / 0.5f, (0.406f - 0.5f) / 0.5f];

    /// <summary>The mapped batch [N, 3, H, W].</summary>
    public static Tensor ToUnitRange(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var scale = torch.tensor(Scale).view(1, 3, 1, 1).to(input.dtype, input.device);
        var shift = torch.tensor(Shift).view(1, 3, 1, 1).to(input.dtype, input.device);
        return input.mul(scale).add_(shift, HeldScalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>Writes the mapping as a Mul and an Add.</summary>
    public static OnnxValue Export(OnnxGraph graph, string path, OnnxValue input)
    {
        var node = OnnxGraph.Child(path, "transform_input");
        var scale = graph.Constant("transform_input.scale", Scale, 1, 3, 1, 1);
        var shift = graph.Constant("transform_input.shift", Shift, 1, 3, 1, 1);
        using var noGrad = torch.no_grad();
        return new OnnxValue(graph.Node("Add", [graph.Node("Mul", [input.Name, scale], node), shift], node), ToUnitRange(input.Sample));
    }
}
