using CnnClassify.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using BatchNorm2d = CnnClassify.Layers.BatchNorm2d;

namespace CnnClassify.Tests.Models;

public class FineTuningTests
{
    private static ResNet Model()
    {
        torch.manual_seed(3);
        return ResNet.ResNet18(numClasses: 4);
    }

    private static void TrainOneStep(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
    {
        using var scope = torch.NewDisposeScope();
        model.train();
        var loss = nn.functional.cross_entropy(model.call(torch.randn(4, 3, 32, 32)), torch.tensor(new long[] { 0, 1, 2, 3 }));
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
    }

    [Fact]
    public void Frozen_parameters_get_no_updates_even_when_the_optimizer_holds_them()
    {
        using var model = Model();
        model.FreezeBackbone();
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.clone());
        using var optimizer = optim.SGD(model.parameters(), learningRate: 0.1, momentum: 0.9, weight_decay: 1e-2);

        TrainOneStep(model, optimizer);

        foreach (var (name, parameter) in model.named_parameters())
        {
            var changed = (parameter - before[name]).abs().max().item<float>() > 0;
            Assert.True(changed == name.StartsWith("fc.", StringComparison.Ordinal), $"{name} changed: {changed}");
        }
    }

    [Fact]
    public void The_optimizer_receives_only_trainable_parameters()
    {
        using var model = Model();
        model.FreezeBackbone();

        var trainable = model.TrainableParameters();
        using var optimizer = optim.Adam(trainable, lr: 1e-3);

        Assert.Equal(512 * 4 + 4, trainable.Sum(p => p.numel()));
        var given = optimizer.ParamGroups.Cast<TorchSharp.Modules.ParamGroup>().SelectMany(group => group.Parameters).ToList();
        Assert.Equal(trainable.Select(p => p.Handle), given.Select(p => p.Handle));
    }

    [Fact]
    public void Parameter_groups_carry_their_own_learning_rates()
    {
        using var model = Model();
        model.UnfreezeLastStages(2);

        var groups = model.ParameterGroups(headLearningRate: 1e-3, new Dictionary<string, double> { ["layer4"] = 1e-4, ["layer3"] = 1e-5 });
        using var optimizer = optim.Adam(groups.Select(g => new Adam.ParamGroup(g.Parameters, lr: g.LearningRate)));

        Assert.Equal(["head", "layer4", "layer3"], groups.Select(g => g.Name));
        Assert.Equal([1e-3, 1e-4, 1e-5], optimizer.ParamGroups.Select(g => g.LearningRate));
        var layer4 = model.named_parameters().Where(p => p.name.StartsWith("layer4.", StringComparison.Ordinal)).Sum(p => p.parameter.numel());
        Assert.Equal(layer4, groups[1].Parameters.Sum(p => p.numel()));
        Assert.Equal(model.TrainableParameters().Count, groups.Sum(g => g.Parameters.Count));
    }

    [Fact]
    public void Trainable_parameters_outside_the_listed_stages_must_be_placed()
    {
        using var model = Model();

        var error = Assert.Throws<ArgumentException>(() => model.ParameterGroups(1e-3, new Dictionary<string, double> { ["layer4"] = 1e-4 }));
        var groups = model.ParameterGroups(1e-3, new Dictionary<string, double> { ["layer4"] = 1e-4 }, otherLearningRate: 1e-6);

        Assert.Contains("are in no listed stage", error.Message);
        Assert.Contains("conv1.weight", error.Message);
        Assert.Equal(("other", 1e-6), (groups[^1].Name, groups[^1].LearningRate));
        Assert.Throws<ArgumentException>(() => model.ParameterGroups(1e-3, new Dictionary<string, double> { ["layer5"] = 1e-4 }));
    }

    [Fact]
    public void Unfreezing_the_last_stage_makes_layer4_trainable_and_keeps_layer3_frozen()
    {
        using var model = Model();

        model.UnfreezeLastStages(1);

        Assert.All(model.named_parameters(), p => Assert.Equal(
            p.name.StartsWith("layer4.", StringComparison.Ordinal) || p.name.StartsWith("fc.", StringComparison.Ordinal),
            p.parameter.requires_grad));
    }

    [Fact]
    public void Frozen_batchnorm_stays_in_eval_mode_and_its_statistics_do_not_drift()
    {
        using var model = Model();
        model.UnfreezeLastStages(1);
        var bn = (BatchNorm2d)ModuleSurgery.Find(model, "layer3.0.bn1");
        var liveBn = (BatchNorm2d)ModuleSurgery.Find(model, "layer4.0.bn1");
        using var mean = bn.running_mean!.clone();
        using var liveMean = liveBn.running_mean!.clone();

        model.train();
        using (torch.no_grad())
        {
            using var output = model.call(torch.randn(4, 3, 32, 32) * 3 + 1);
        }

        Assert.False(bn.training);
        Assert.True(liveBn.training);
        TensorAssert.Equal(mean, bn.running_mean!, 0);
        Assert.True((liveBn.running_mean! - liveMean).abs().max().item<float>() > 0);
    }
}
