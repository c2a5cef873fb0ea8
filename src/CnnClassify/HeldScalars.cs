using TorchSharp;

namespace CnnClassify;

/// <summary>
/// Scalars that live as long as the process. TorchSharp frees a Scalar made implicitly from a
/// number in the finalizer, which can run while the native call that received it still reads it;
/// these are never collected, so the constants used on every sample and step are safe to pass.
/// Other values are made with <c>using var s = value.ToScalar()</c>, held until the call returns.
/// </summary>
internal static class HeldScalars
{
    public static readonly Scalar Zero = 0.ToScalar();

    public static readonly Scalar One = 1.ToScalar();

    public static readonly Scalar PixelMax = 255.ToScalar();
}
