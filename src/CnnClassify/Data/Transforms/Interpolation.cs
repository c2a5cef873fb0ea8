namespace CnnClassify.Data.Transforms;

/// <summary>How resampling transforms compute new pixels.</summary>
public enum Interpolation
{
    /// <summary>The nearest source pixel.</summary>
    Nearest,

    /// <summary>Linear in both directions (antialiased when shrinking in <see cref="Resize"/>); torchvision's default.</summary>
    Bilinear,

    /// <summary>Cubic in both directions (antialiased when shrinking in <see cref="Resize"/>).</summary>
    Bicubic,
}
