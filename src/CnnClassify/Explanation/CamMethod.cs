namespace CnnClassify.Explanation;

/// <summary>How a class activation map weighs the channels of the target layer's activation A.</summary>
public enum CamMethod
{
    /// <summary>
    /// Grad-CAM (Selvaraju et al., 2017): each channel's weight is the spatial mean of the
    /// gradient of the class score (the logit) with respect to it; map = ReLU(sum_k w_k A_k).
    /// </summary>
    GradCam,

    /// <summary>
    /// Grad-CAM++ (Chattopadhyay et al., 2018), closed form: with g the gradient of the class
    /// logit, alpha = g^2 / (2 g^2 + sum_ij(A) g^3) (0 where the denominator is 0), each
    /// channel's weight is sum_ij alpha ReLU(g); map = ReLU(sum_k w_k A_k).
    /// </summary>
    GradCamPlusPlus,

    /// <summary>
    /// Score-CAM (Wang et al., 2020), no gradients: each channel, upsampled bilinearly to the
    /// input size and scaled to [0, 1], masks the input; its weight is the softmax probability
    /// of the class for that masked input; map = ReLU(sum_k w_k A_k). One forward pass per
    /// channel, so it is the slowest by far.
    /// </summary>
    ScoreCam,
}
