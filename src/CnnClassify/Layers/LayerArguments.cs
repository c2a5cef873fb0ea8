namespace CnnClassify.Layers;

/// <summary>Argument checks shared by the layer blocks and the builder.</summary>
internal static class LayerArguments
{
    public static void Positive(long value, string name)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1.");
        }
    }

    public static void NonNegative(long value, string name)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must not be negative.");
        }
    }

    public static void Groups(long inChannels, long outChannels, long groups)
    {
        Positive(groups, nameof(groups));
        if (inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(groups), groups,
                $"groups ({groups}) must divide both the input channels ({inChannels}) and the output channels ({outChannels}).");
        }
    }

    public static void Probability(double value, string name)
    {
        if (!(value >= 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1).");
        }
    }
}
