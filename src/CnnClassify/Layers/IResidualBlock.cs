using TorchSharp.Modules;

namespace CnnClassify.Layers;

/// <summary>A block whose output is its residual branch plus a shortcut.</summary>
internal interface IResidualBlock
{
    /// <summary>The BatchNorm that ends the residual branch; zeroing its weight makes the block start as an identity.</summary>
    BatchNorm2d LastBatchNorm { get; }
}
