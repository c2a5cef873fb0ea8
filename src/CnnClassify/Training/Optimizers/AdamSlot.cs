using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>One parameter for the fused Adam kernel: its tensors and its step count after this step.</summary>
internal readonly record struct AdamSlot(Tensor Parameter, Tensor Gradient, Tensor ExpAvg, Tensor ExpAvgSq, Tensor? MaxExpAvgSq, long Step);
