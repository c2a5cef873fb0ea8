namespace CnnClassify.Models;

/// <summary>One layer of a model made by <see cref="CnnBuilder"/>, with the shapes around it.</summary>
/// <param name="Name">The layer's name, which prefixes its state-dict keys, such as <c>conv1</c>.</param>
/// <param name="Description">The layer's type and arguments, such as <c>MaxPool2d(2)</c>.</param>
/// <param name="InputShape">The shape of one sample entering the layer.</param>
/// <param name="OutputShape">The shape of one sample leaving the layer.</param>
public sealed record LayerDefinition(string Name, string Description, SampleShape InputShape, SampleShape OutputShape);
