using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests;

/// <summary>Assertions and counts over modules and tensors shared by the tests.</summary>
internal static class TensorAssert
{
    public static long ParameterCount(nn.Module module) => module.parameters().Sum(p => p.numel());

    public static void Close(float[] expected, Tensor actual, double tolerance = 1e-5)
    {
        var values = actual.to(ScalarType.Float32).data<float>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - values[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {values[i]}");
        }
    }

    public static void Close(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double tolerance)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    public static void Equal(Tensor expected, Tensor actual, double tolerance = 1e-6)
    {
        Assert.Equal(expected.shape, actual.shape);
        var difference = (expected - actual).abs().max().item<float>();
        Assert.True(difference <= tolerance, $"max |difference| {difference} exceeds {tolerance}");
    }
}
