namespace CnnClassify.Layers;

/// <summary>
/// The channel rounding of width-scaled networks (MobileNet, EfficientNet, RegNet): a channel
/// count scaled by a width multiplier is rounded to a multiple of a divisor, as hardware prefers.
/// </summary>
public static class ChannelRounding
{
    /// <summary>
    /// Rounds <paramref name="channels"/> to the nearest multiple of <paramref name="divisor"/>,
    /// at least <paramref name="divisor"/>, and one multiple up when rounding down would lose more
    /// than 10 %, as torchvision's MobileNet and EfficientNet do.
    /// </summary>
    /// <param name="channels">The scaled channel count, such as 32 x 1.1.</param>
    /// <param name="divisor">The multiple, such as 8.</param>
    /// <returns>The rounded count, such as 32 for 35.2.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="divisor"/> is below 1 or <paramref name="channels"/> is not positive.</exception>
    public static long MakeDivisible(double channels, long divisor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(divisor, 1);
        if (!(channels > 0) || !double.IsFinite(channels))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "The channel count must be a positive number.");
        }

        var rounded = Math.Max(divisor, (long)(channels + (divisor / 2.0)) / divisor * divisor);
        return rounded < 0.9 * channels ? rounded + divisor : rounded;
    }
}
