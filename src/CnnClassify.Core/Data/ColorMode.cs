namespace CnnClassify.Data;

/// <summary>How decoded images are converted.</summary>
public enum ColorMode
{
    /// <summary>Three channels, red, green and blue.</summary>
    Rgb,

    /// <summary>One channel of luminance.</summary>
    Grayscale,
}
