namespace CnnClassify.Data;

/// <summary>The two CIFAR datasets.</summary>
public enum CifarVariant
{
    /// <summary>CIFAR-10: ten classes.</summary>
    Cifar10,

    /// <summary>CIFAR-100: one hundred fine classes (the coarse labels are not used).</summary>
    Cifar100,
}
