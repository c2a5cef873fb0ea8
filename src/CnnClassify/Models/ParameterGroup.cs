using TorchSharp.Modules;

namespace CnnClassify.Models;

/// <summary>Trainable parameters that share a learning rate, such as one stage of a fine-tuned backbone.</summary>
/// <param name="Name">The group's name: a stage name, <c>head</c> or <c>other</c>.</param>
/// <param name="Parameters">The group's parameters; all require gradients.</param>
/// <param name="LearningRate">The group's learning rate.</param>
public sealed record ParameterGroup(string Name, IReadOnlyList<Parameter> Parameters, double LearningRate);
