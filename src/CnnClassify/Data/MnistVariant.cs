namespace CnnClassify.Data;

/// <summary>The datasets stored as MNIST-style IDX files.</summary>
public enum MnistVariant
{
    /// <summary>Handwritten digits 0 to 9.</summary>
    Mnist,

    /// <summary>Zalando's Fashion-MNIST: ten kinds of clothing.</summary>
    FashionMnist,

    /// <summary>Kuzushiji-MNIST: ten cursive Japanese characters.</summary>
    Kmnist,
}
