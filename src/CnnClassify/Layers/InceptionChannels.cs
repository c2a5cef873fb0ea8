namespace CnnClassify.Layers;

/// <summary>The channel counts of the four branches of an <see cref="InceptionBlock"/>.</summary>
/// <param name="Conv1x1">Output channels of the 1x1 branch.</param>
/// <param name="Reduce3x3">Channels of the 1x1 reduction before the 3x3 convolution.</param>
/// <param name="Conv3x3">Output channels of the 3x3 branch.</param>
/// <param name="Reduce5x5">Channels of the 1x1 reduction before the wide convolution.</param>
/// <param name="Conv5x5">Output channels of the wide branch.</param>
/// <param name="PoolProjection">Output channels of the 1x1 projection after the 3x3 max pool.</param>
public sealed record InceptionChannels(long Conv1x1, long Reduce3x3, long Conv3x3, long Reduce5x5, long Conv5x5, long PoolProjection)
{
    /// <summary>The block's output channels: the sum of the four branches' outputs.</summary>
    public long OutputChannels => Conv1x1 + Conv3x3 + Conv5x5 + PoolProjection;

    /// <inheritdoc />
    public override string ToString() => $"{Conv1x1}, {Reduce3x3}->{Conv3x3}, {Reduce5x5}->{Conv5x5}, pool->{PoolProjection}";
}
