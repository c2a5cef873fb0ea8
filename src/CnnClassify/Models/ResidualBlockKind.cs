namespace CnnClassify.Models;

/// <summary>The residual block a <see cref="ResNet"/> is built from.</summary>
public enum ResidualBlockKind
{
    /// <summary>Two 3x3 convolutions (ResNet-18 and -34).</summary>
    Basic,

    /// <summary>1x1, 3x3, 1x1 convolutions with expansion 4 (ResNet-50, -101 and -152).</summary>
    Bottleneck,
}
