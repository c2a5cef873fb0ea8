namespace CnnClassify.Models;

/// <summary>One row of a <see cref="ModelSummary"/>: a module and what it does to one sample.</summary>
/// <param name="Name">The module's dotted path in the model, such as <c>layer1.0.conv1</c>.</param>
/// <param name="Type">The module's type name, such as <c>Conv2d</c>.</param>
/// <param name="Depth">Nesting level: 1 for the model's direct children.</param>
/// <param name="OutputShape">The shape of one output sample, or <see langword="null"/> if the module did not run or returned no tensor.</param>
/// <param name="Parameters">Parameters of the module and everything inside it.</param>
/// <param name="MultiplyAccumulates">Multiply-accumulates per sample of its convolutions and linear layers.</param>
public sealed record LayerSummary(string Name, string Type, int Depth, SampleShape? OutputShape, long Parameters, long MultiplyAccumulates);
