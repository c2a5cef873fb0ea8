using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>One output of a training step and its weight in the loss (<see cref="ClassificationModel.TrainingOutputs"/>).</summary>
/// <param name="Outputs">The logits [N, classes].</param>
/// <param name="LossWeight">The weight of this output's loss in the batch's loss.</param>
public readonly record struct WeightedOutput(Tensor Outputs, double LossWeight);
