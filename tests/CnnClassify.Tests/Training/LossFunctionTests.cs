using CnnClassify.Runtime;
using CnnClassify.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Training;

public class LossFunctionTests
{
    private static readonly Tensor Logits = torch.tensor(new float[] { 2.0f, 0.5f, -1.0f, 0.1f, 0.2f, 3.0f }, [2, 3]);
    private static readonly Tensor Targets = torch.tensor(new long[] { 0, 1 });

    private static double LogSoftmax(int row, int column)
    {
        var values = Logits[row].data<float>().ToArray();
        var max = values.Max();
        return values[column] - max - Math.Log(values.Sum(v => Math.Exp(v - max)));
    }

    [Fact]
    public void Cross_entropy_is_the_mean_negative_log_likelihood()
    {
        var expected = -(LogSoftmax(0, 0) + LogSoftmax(1, 1)) / 2;

        using var loss = LossFunction.CrossEntropy().Compute(Logits, Targets);

        Assert.Equal(expected, loss.item<float>(), 5);
        Assert.Equal(1.5754563808441162, loss.item<float>(), 5); // PyTorch F.cross_entropy
    }

    [Fact]
    public void Label_smoothing_mixes_in_the_uniform_target()
    {
        const double epsilon = 0.2;
        var expected = Enumerable.Range(0, 2).Average(row =>
            -(((1 - epsilon) * LogSoftmax(row, row)) + (epsilon / 3 * Enumerable.Range(0, 3).Sum(c => LogSoftmax(row, c)))));

        using var loss = LossFunction.CrossEntropy(labelSmoothing: epsilon).Compute(Logits, Targets);

        Assert.Equal(expected, loss.item<float>(), 5);
        Assert.Equal(1.6354564428329468, loss.item<float>(), 5); // PyTorch, label_smoothing=0.2
    }

    [Fact]
    public void Class_weights_give_a_weighted_mean()
    {
        var expected = -((1.0 * LogSoftmax(0, 0)) + (3.0 * LogSoftmax(1, 1))) / (1.0 + 3.0);

        using var loss = LossFunction.CrossEntropy(classWeights: [1.0, 3.0, 0.5]).Compute(Logits, Targets);

        Assert.Equal(expected, loss.item<float>(), 5);
        Assert.Equal(2.2425289154052734, loss.item<float>(), 5); // PyTorch, weight=[1, 3, 0.5]
    }

    [Fact]
    public void Focal_loss_down_weights_confident_predictions()
    {
        double Focal(int row) => -0.25 * Math.Pow(1 - Math.Exp(LogSoftmax(row, row)), 2) * LogSoftmax(row, row);

        using var loss = LossFunction.Focal(alpha: 0.25, gamma: 2).Compute(Logits, Targets);
        using var plain = LossFunction.Focal(alpha: 1, gamma: 0).Compute(Logits, Targets);

        Assert.Equal((Focal(0) + Focal(1)) / 2, loss.item<float>(), 5);
        Assert.Equal(1.5754563808441162, plain.item<float>(), 5); // gamma 0, alpha 1 is cross-entropy
    }

    [Fact]
    public void The_loss_is_float32_even_for_bfloat16_logits()
    {
        using var loss = LossFunction.CrossEntropy().Compute(Logits.to(ScalarType.BFloat16), Targets);

        Assert.Equal(ScalarType.Float32, loss.dtype);
    }

    [Fact]
    public void Mismatched_class_weights_are_explained()
    {
        var error = Assert.Throws<ArgumentException>(() => LossFunction.CrossEntropy(classWeights: [1.0, 2.0]).Compute(Logits, Targets));

        Assert.Contains("2 class weights but the model predicts 3 classes", error.Message);
    }
}
