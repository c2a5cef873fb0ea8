namespace CnnClassify.Data;

/// <summary>
/// Where a centre crop starts along one side, as torchvision's <c>center_crop</c> places it: a
/// larger side's margin is halved and rounded half to even (Python's <c>round</c>), so a margin of
/// 117 starts at 58, not 59; a smaller side is padded by half the shortfall rounded down before
/// the start, the rest after.
/// </summary>
internal static class CenterCropOffset
{
    /// <summary>The first row or column of the crop; negative where the crop pads before the image.</summary>
    /// <param name="size">The image's length along this side.</param>
    /// <param name="crop">The crop's length along this side.</param>
    public static long Of(long size, long crop) => size >= crop
        ? (long)Math.Round((size - crop) / 2.0, MidpointRounding.ToEven)
        : -((crop - size) / 2);
}
