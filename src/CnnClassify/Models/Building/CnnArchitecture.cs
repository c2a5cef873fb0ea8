namespace CnnClassify.Models;

/// <summary>The architecture of a <see cref="CnnModel"/> as data: its input shape and its layers in order.</summary>
/// <param name="InputShape">The shape of one input sample, such as <c>[1, 28, 28]</c>.</param>
/// <param name="Layers">The layers in order, each with its name and typed record.</param>
public sealed record CnnArchitecture(IReadOnlyList<long> InputShape, IReadOnlyList<ArchitectureLayer> Layers);
