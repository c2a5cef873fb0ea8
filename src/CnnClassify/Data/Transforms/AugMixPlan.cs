namespace CnnClassify.Data.Transforms;

/// <summary>What <see cref="AugMix"/> drew for one image: the chains of operations and the weights that mix them with the original.</summary>
/// <param name="OriginalWeight">The original image's weight (float32, as the mix is computed).</param>
/// <param name="ChainWeights">Each chain's weight; with <paramref name="OriginalWeight"/> they sum to 1.</param>
/// <param name="Chains">Each chain's operations, applied in order to the original image.</param>
public sealed record AugMixPlan(float OriginalWeight, IReadOnlyList<float> ChainWeights, IReadOnlyList<IReadOnlyList<AugmentationStep>> Chains);
