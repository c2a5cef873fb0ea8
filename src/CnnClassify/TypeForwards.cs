using System.Runtime.CompilerServices;

// These types moved to CnnClassify.Core, which has no TorchSharp, so that the ONNX Runtime
// predictor shares them; code compiled against earlier versions of this assembly still finds them.
[assembly: TypeForwardedTo(typeof(CnnClassify.Inference.Prediction))]
[assembly: TypeForwardedTo(typeof(CnnClassify.Inference.ClassProbability))]
[assembly: TypeForwardedTo(typeof(CnnClassify.Data.InvalidImageException))]
[assembly: TypeForwardedTo(typeof(CnnClassify.Data.ColorMode))]
