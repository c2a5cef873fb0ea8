namespace CnnClassify.Data.Transforms;

/// <summary>The sub-policies AutoAugment (Cubuk et al., 2019) learned on a dataset.</summary>
public enum AutoAugmentPolicy
{
    /// <summary>The policy learned on ImageNet; torchvision's default.</summary>
    ImageNet,

    /// <summary>The policy learned on CIFAR-10.</summary>
    Cifar10,

    /// <summary>The policy learned on SVHN.</summary>
    Svhn,
}
