using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Foundation;

public class TorchSharpRuntimeTests
{
    [Fact]
    public void TorchSharp_loads_its_native_backend_and_computes()
    {
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var product = a.matmul(a);

        Assert.Equal(new float[] { 7, 10, 15, 22 }, product.data<float>().ToArray());
        Assert.True(torch.get_num_threads() >= 1);
    }

    [Fact]
    public void Conv2d_forward_and_backward_give_the_expected_shapes()
    {
        using var conv = nn.Conv2d(3, 5, kernel_size: 3, stride: 2, padding: 1);
        using var input = torch.randn([2, 3, 9, 9], requires_grad: true);

        using var output = conv.forward(input);
        using var loss = output.sum();
        loss.backward();

        Assert.Equal([2L, 5, 5, 5], output.shape);
        Assert.Equal(input.shape, input.grad!.shape);
        Assert.Equal([5L, 3, 3, 3], conv.weight!.grad!.shape);
        Assert.Equal([5L], conv.bias!.grad!.shape);
    }

    [Fact]
    public void Conv2d_gradients_match_hand_computed_values()
    {
        // 4x4 input 0..15, 3x3 kernel 1..9 (scaled), bias 0.5; loss = sum(output * g) with g = [[1,2],[3,4]].
        var x = new double[4, 4];
        var w = new double[3, 3];
        double[,] g = { { 1, 2 }, { 3, 4 } };
        for (var r = 0; r < 4; r++)
        {
            for (var c = 0; c < 4; c++)
            {
                x[r, c] = (4 * r) + c;
            }
        }

        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                w[i, j] = ((3 * i) + j + 1) / 10.0;
            }
        }

        var expectedOutput = new double[2, 2];
        var expectedGradW = new double[3, 3];
        var expectedGradX = new double[4, 4];
        for (var p = 0; p < 2; p++)
        {
            for (var q = 0; q < 2; q++)
            {
                expectedOutput[p, q] = 0.5;
                for (var i = 0; i < 3; i++)
                {
                    for (var j = 0; j < 3; j++)
                    {
                        expectedOutput[p, q] += x[p + i, q + j] * w[i, j];
                        expectedGradW[i, j] += g[p, q] * x[p + i, q + j];
                        expectedGradX[p + i, q + j] += g[p, q] * w[i, j];
                    }
                }
            }
        }

        using var conv = nn.Conv2d(1, 1, kernel_size: 3, dtype: ScalarType.Float64);
        using (torch.no_grad())
        {
            conv.weight!.copy_(torch.tensor(w).reshape(1, 1, 3, 3));
            conv.bias!.fill_(0.5);
        }

        using var input = torch.tensor(x).reshape(1, 1, 4, 4).requires_grad_(true);
        using var output = conv.forward(input);
        using var loss = (output * torch.tensor(g).reshape(1, 1, 2, 2)).sum();
        loss.backward();

        AssertClose(expectedOutput, output.reshape(2, 2));
        AssertClose(expectedGradW, conv.weight!.grad!.reshape(3, 3));
        AssertClose(expectedGradX, input.grad!.reshape(4, 4));
        Assert.Equal(10.0, conv.bias!.grad!.item<double>(), 12);
    }

    private static void AssertClose(double[,] expected, Tensor actual)
    {
        var values = actual.data<double>().ToArray();
        var columns = expected.GetLength(1);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(expected[i / columns, i % columns], values[i], 10);
        }
    }
}
