using CnnClassify.Models;
using CnnClassify.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Training;

public class FusedAdamTests
{
    [Fact]
    public void The_kernel_is_found_in_this_libtorch()
    {
        Assert.True(FusedAdamKernel.Adam.IsAvailable);
        Assert.True(FusedAdamKernel.AdamW.IsAvailable);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_first_step_matches_the_hand_computed_update(bool decoupled)
    {
        // At step 1 the bias-corrected moments are g and g squared, so each weight moves by
        // lr * g / (|g| + eps); Adam adds wd * p to g first, AdamW shrinks p by lr * wd first.
        double[] start = [0.5, -1.0, 2.0, 0.25];
        double[] gradient = [0.2, -3.0, 1e-3, 0.0];
        const double lr = 0.1, wd = 0.5, eps = 1e-8;
        using var parameter = new Parameter(tensor(start, ScalarType.Float64));
        parameter.grad = tensor(gradient, ScalarType.Float64);
        var state = (Exp: zeros_like(parameter), ExpSq: zeros_like(parameter));

        var kernel = decoupled ? FusedAdamKernel.AdamW : FusedAdamKernel.Adam;
        var counted = 0;
        var ran = kernel.TryStep(
            [new ParamGroup<Adam.Options>([parameter], new Adam.Options())],
            p => new AdamSlot(p, p.grad!, state.Exp, state.ExpSq, null, 1),
            _ => new AdamSettings(lr, 0.9, 0.999, wd, eps, AmsGrad: false, Maximize: false),
            _ => counted++);

        Assert.True(ran);
        Assert.Equal(1, counted);
        var actual = parameter.data<double>().ToArray();
        for (var i = 0; i < start.Length; i++)
        {
            var p = decoupled ? start[i] * (1 - (lr * wd)) : start[i];
            var g = decoupled ? gradient[i] : gradient[i] + (wd * start[i]);
            var expected = p - (lr * g / (Math.Abs(g) + eps));
            Assert.Equal(expected, actual[i], 1e-12);
        }

        var g0 = decoupled ? gradient[1] : gradient[1] + (wd * start[1]);
        Assert.Equal(0.1 * g0, state.Exp.data<double>()[1], 1e-12);
        Assert.Equal(0.001 * g0 * g0, state.ExpSq.data<double>()[1], 1e-12);
    }

    [Fact]
    public void A_parameter_the_kernel_cannot_walk_as_a_flat_array_is_left_to_the_caller()
    {
        using var parameter = new Parameter(zeros(3, 4).t());
        Assert.False(parameter.is_contiguous());
        parameter.grad = ones(4, 3).t();
        using var exp = zeros_like(parameter);
        using var expSq = zeros_like(parameter);

        var ran = FusedAdamKernel.Adam.TryStep(
            [new ParamGroup<Adam.Options>([parameter], new Adam.Options())],
            p => new AdamSlot(p, p.grad!, exp, expSq, null, 1),
            _ => new AdamSettings(0.1, 0.9, 0.999, 0, 1e-8, AmsGrad: false, Maximize: false),
            _ => throw new InvalidOperationException("no step may be counted"));

        Assert.False(ran);
        Assert.Equal(0f, parameter.abs().sum().item<float>());
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void Training_follows_torchsharps_own_optimizer_step_for_step(string name)
    {
        // Two parameter groups with their own learning rates, weight decay, BatchNorm and a head; eval
        // mode keeps dropout from drawing different masks for the two copies. Float64 keeps the rounding
        // of the two update orders far below what Adam's division by |g| could magnify.
        using var fused = ModelZoo.Create("simplecnn", new ModelOptions { NumClasses = 4, InChannels = 1, ImageSize = 12 });
        using var plain = ModelZoo.Create("simplecnn", new ModelOptions { NumClasses = 4, InChannels = 1, ImageSize = 12 });
        using (no_grad())
        {
            foreach (var (target, source) in plain.parameters().Zip(fused.parameters()))
            {
                target.copy_(source);
            }
        }

        fused.to(ScalarType.Float64).eval();
        plain.to(ScalarType.Float64).eval();

        static List<ParameterGroup> Groups(nn.Module model)
        {
            var parameters = model.parameters().ToList();
            return [new ParameterGroup("body", parameters[..^2], 0.01), new ParameterGroup("head", parameters[^2..], 0.03)];
        }

        var spec = name == "adam" ? OptimizerSpec.Adam(0.01, weightDecay: 1e-2) : OptimizerSpec.AdamW(0.01, weightDecay: 0.05);
        using var fusedOptimizer = spec.Create(Groups(fused));
        Assert.IsType(name == "adam" ? typeof(FusedAdam) : typeof(FusedAdamW), fusedOptimizer);
        using optim.Optimizer plainOptimizer = name == "adam"
            ? optim.Adam(Groups(plain).Select(g => new Adam.ParamGroup(g.Parameters, g.LearningRate, weight_decay: 1e-2)))
            : optim.AdamW(Groups(plain).Select(g => new AdamW.ParamGroup(g.Parameters, g.LearningRate, weight_decay: 0.05)));

        var generator = new Generator(7);
        for (var step = 0; step < 5; step++)
        {
            using var scope = NewDisposeScope();
            var images = rand([8, 1, 12, 12], ScalarType.Float64, generator: generator);
            var labels = randint(0, 4, [8], generator: generator);
            foreach (var (model, optimizer) in new[] { (fused, fusedOptimizer), (plain, plainOptimizer) })
            {
                optimizer.zero_grad();
                nn.functional.cross_entropy(model.call(images), labels).backward();
                optimizer.step();
            }
        }

        foreach (var (a, b) in fused.named_parameters().Zip(plain.parameters()))
        {
            var difference = (a.parameter - b).abs().max().item<double>();
            Assert.True(difference < 1e-10, $"{a.name}: fused and TorchSharp's updates differ by {difference}");
        }
    }
}
