using CnnClassify.Models;
using TorchSharp;

namespace CnnClassify.Tests.Models;

/// <summary>Stages reach every weight of every family, and layer-wise decay follows them. On the meta device, so serial.</summary>
[Collection(SerialTests.Name)]
public class StageTests
{
    [Fact]
    public void Layer_decay_gives_each_stage_the_decay_times_the_rate_of_the_stage_above()
    {
        SerialTests.OnMetaDevice(() =>
        {
            using var model = ModelZoo.Create("resnet18", numClasses: 3);
            model.UnfreezeLastStages(4);

            var groups = model.LayerDecayGroups(1e-3, 0.5);

            // The stem is frozen, so it has no group; layer1 is four stages below the head.
            Assert.Equal(["head", "layer4", "layer3", "layer2", "layer1"], groups.Select(g => g.Name));
            Assert.Equal([1e-3, 5e-4, 2.5e-4, 1.25e-4, 6.25e-5], groups.Select(g => g.LearningRate));
            Assert.Equal(model.TrainableParameters().Count, groups.Sum(g => g.Parameters.Count));
            Assert.Throws<ArgumentOutOfRangeException>(() => model.LayerDecayGroups(1e-3, 1.5));
        });
    }

    [Fact]
    public void A_trainer_given_layer_decay_groups_steps_each_stage_at_its_rate()
    {
        torch.manual_seed(5);
        using var model = ModelZoo.Create("simplecnn", numClasses: 3);
        var groups = model.LayerDecayGroups(1e-2, 0.5);
        var trainer = CnnClassify.Training.Trainer.For(model).UseOptimizer(CnnClassify.Training.OptimizerSpec.Sgd(1e-2)).UseParameterGroups(groups).Build();

        Assert.Equal([1e-2, 5e-3, 2.5e-3, 1.25e-3, 6.25e-4], trainer.LearningRates);
        Assert.Equal(["head", "classifier.0", "block3", "block2", "block1"], groups.Select(g => g.Name));
    }

    [Theory]
    [MemberData(nameof(BuiltNames))]
    public void Each_parameter_of_every_family_is_in_one_stage_or_the_head(string name)
    {
        // So that unfreezing stage by stage from the last, and per-stage rates, reach every weight.
        SerialTests.OnMetaDevice(() =>
        {
            using var model = ModelZoo.Create(name, new ModelOptions { NumClasses = 3, AuxiliaryHeads = true });
            foreach (var (parameter, _) in model.named_parameters())
            {
                // A head (auxiliary heads' too) trains with the head wherever its stage is.
                var owners = model.HeadNames.Any(head => parameter.StartsWith(head + ".", StringComparison.Ordinal))
                    ? ["head"]
                    : model.Stages.Where(stage => stage.Contains(parameter)).Select(stage => stage.Name).ToList();
                Assert.True(owners.Count == 1, $"{name}: '{parameter}' belongs to [{string.Join(", ", owners)}]");
            }

            model.FreezeBackbone();
            model.UnfreezeLastStages(model.Stages.Count);
            Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        });
    }

    public static TheoryData<string> BuiltNames => ZooSamples.Built;
}
