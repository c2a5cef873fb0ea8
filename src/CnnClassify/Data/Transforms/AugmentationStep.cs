namespace CnnClassify.Data.Transforms;

/// <summary>One operation a policy drew for an image, with its signed magnitude.</summary>
/// <param name="Op">The operation.</param>
/// <param name="Magnitude">Its magnitude, in the operation's own unit (see <see cref="AugmentationOp"/>); 0 for operations without one.</param>
public readonly record struct AugmentationStep(AugmentationOp Op, double Magnitude);
