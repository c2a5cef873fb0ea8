namespace CnnClassify.Onnx;

/// <summary>The views of each image an <see cref="OnnxPredictor"/> averages (test-time augmentation), as the LibTorch predictor's fixed views.</summary>
public enum OnnxTestTimeViews
{
    /// <summary>The image once, as the model's preprocessing prepares it.</summary>
    None,

    /// <summary>The prepared image and its mirror image.</summary>
    Flip,

    /// <summary>
    /// torchvision's five crops of the input size (four corners and the centre) from the image
    /// resized as the preprocessing resizes it before its centre crop, or to 8/7 of the input size
    /// when it resizes straight to it.
    /// </summary>
    FiveCrop,

    /// <summary>The five crops and their mirror images.</summary>
    TenCrop,
}
