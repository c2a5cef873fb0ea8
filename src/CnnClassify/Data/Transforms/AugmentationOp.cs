namespace CnnClassify.Data.Transforms;

/// <summary>
/// The image operations the augmentation policies (<see cref="AutoAugment"/>, <see cref="RandAugment"/>,
/// <see cref="TrivialAugmentWide"/> and <see cref="AugMix"/>) draw from, as torchvision 0.21 defines
/// them. <see cref="AugmentationOps"/> applies one with a given magnitude.
/// </summary>
public enum AugmentationOp
{
    /// <summary>Leaves the image as it is.</summary>
    Identity,

    /// <summary>Shears horizontally about the top-left corner; the magnitude is the shear factor (tan of the angle).</summary>
    ShearX,

    /// <summary>Shears vertically about the top-left corner; the magnitude is the shear factor.</summary>
    ShearY,

    /// <summary>Shifts horizontally by the magnitude in whole pixels (truncated toward zero); positive moves right.</summary>
    TranslateX,

    /// <summary>Shifts vertically by the magnitude in whole pixels (truncated toward zero); positive moves down.</summary>
    TranslateY,

    /// <summary>Rotates about the image centre by the magnitude in degrees; positive turns counter-clockwise.</summary>
    Rotate,

    /// <summary>Scales brightness by 1 + magnitude.</summary>
    Brightness,

    /// <summary>Scales saturation by 1 + magnitude (blends with the grayscale image).</summary>
    Color,

    /// <summary>Scales contrast by 1 + magnitude (blends with the mean gray level).</summary>
    Contrast,

    /// <summary>Scales sharpness by 1 + magnitude (blends with a 3x3 smoothed image).</summary>
    Sharpness,

    /// <summary>Keeps the magnitude's number of high bits of each channel (truncated to a whole number, 0 to 8).</summary>
    Posterize,

    /// <summary>Inverts every value at or above the magnitude (0 to 255).</summary>
    Solarize,

    /// <summary>Stretches each channel to the full range 0 to 255.</summary>
    AutoContrast,

    /// <summary>Equalizes each channel's histogram.</summary>
    Equalize,

    /// <summary>Inverts every value (255 - x).</summary>
    Invert,
}
