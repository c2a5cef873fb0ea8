using TorchSharp;

namespace CnnClassify.Tests.Foundation;

/// <summary>
/// The library passes LibTorch no Scalar that the finalizer may free during the call: no implicit
/// number-to-Scalar conversion, no Tensor operator with a number, and none of TorchSharp's
/// overloads that make a default alpha or value Scalar (such as <c>add_(tensor)</c>), anywhere on
/// the training, evaluation or prediction path.
/// </summary>
public sealed class ImplicitScalarTests
{
    // Colour jitter and the affine and grayscale operations run on loader threads, once per
    // sample, and only when asked for; they are the remaining known users.
    private static readonly string[] Remaining = ["CnnClassify.Data.Transforms.ColorJitter", "CnnClassify.Data.Transforms.ImageOps+"];

    [Fact]
    public void No_method_of_the_library_makes_a_scalar_the_finalizer_can_free_mid_call()
    {
        var offenders = ImplicitScalarScan.Find(typeof(CnnClassify.Models.ModelZoo).Assembly)
            .Where(found => !Remaining.Any(prefix => found.Type.StartsWith(prefix, StringComparison.Ordinal)))
            .Select(found => $"{found.Type}.{found.Method} ({found.Calls})")
            .ToList();

        Assert.True(offenders.Count == 0, $"Implicit Scalars in: {string.Join(", ", offenders)}");
    }

    [Fact]
    public void The_scan_finds_each_kind_of_implicit_scalar()
    {
        var found = ImplicitScalarScan.Find(typeof(ImplicitScalarTests).Assembly).Where(f => f.Type.EndsWith("+Examples", StringComparison.Ordinal)).ToDictionary(f => f.Method, f => f.Calls);

        Assert.Equal(1, found["Conversion"]);
        Assert.Equal(1, found["OperatorWithNumber"]);
        Assert.Equal(1, found["DefaultAlpha"]);
        Assert.Equal(1, found["TensorPlusTensor"]);
        Assert.False(found.ContainsKey("Held"));
    }

    private static class Examples
    {
        public static TorchSharp.torch.Tensor Conversion(TorchSharp.torch.Tensor x) => x.mul(2.0);

        public static TorchSharp.torch.Tensor OperatorWithNumber(TorchSharp.torch.Tensor x) => x * 2.0;

        public static TorchSharp.torch.Tensor DefaultAlpha(TorchSharp.torch.Tensor x, TorchSharp.torch.Tensor y) => x.add_(y);

        public static TorchSharp.torch.Tensor TensorPlusTensor(TorchSharp.torch.Tensor x, TorchSharp.torch.Tensor y) => x + y;

        public static TorchSharp.torch.Tensor Held(TorchSharp.torch.Tensor x, TorchSharp.torch.Tensor y)
        {
            using var two = 2.0.ToScalar();
            using var one = 1.ToScalar();
            return x.mul(two).add_(y, one);
        }
    }
}
