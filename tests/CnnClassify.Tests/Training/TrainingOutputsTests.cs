using CnnClassify.Models;
using CnnClassify.Runtime;
using CnnClassify.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Training;

public class TrainingOutputsTests
{
    [Fact]
    public void A_model_with_several_training_outputs_is_trained_on_their_weighted_losses()
    {
        using var model = new TwoOutputs();
        var seen = new List<(double Loss, double Expected)>();
        var trainer = Trainer.For(model).UseOptimizer(OptimizerSpec.Sgd(0.1)).AddCallback(new OnLossCheck(c =>
        {
            // Independently: cross-entropy of the main output plus half that of the doubled one.
            using var logits = c.Outputs!.detach().to(ScalarType.Float32);
            using var main = nn.functional.cross_entropy(logits, c.Targets!);
            using var doubled = nn.functional.cross_entropy(logits * 2, c.Targets!);
            seen.Add((c.Loss!.item<float>(), main.item<float>() + (0.5 * doubled.item<float>())));
        })).Build();

        var history = trainer.Fit(TrainingData.Loader(TrainingData.Separable(32)), null, epochs: 1);

        Assert.Equal(2, seen.Count);
        Assert.All(seen, s => Assert.Equal(s.Expected, s.Loss, 5));
        // The epoch's loss is the mean of what was minimised.
        Assert.Equal(seen.Average(s => s.Loss), history.Epochs[0].TrainLoss, 5);
    }

    [Fact]
    public void GoogLeNet_trains_its_auxiliary_heads_at_three_tenths_of_the_main_loss()
    {
        torch.manual_seed(0);
        using var plain = new GoogLeNet(numClasses: 4);
        using var auxiliary = new GoogLeNet(numClasses: 4, auxiliaryHeads: true);
        using var images = torch.rand(1, 3, 64, 64);

        Assert.Single(plain.TrainingOutputs(images));
        var outputs = auxiliary.TrainingOutputs(images);

        Assert.Equal([1.0, 0.3, 0.3], outputs.Select(o => o.LossWeight));
        Assert.All(outputs, o => Assert.Equal([1L, 4L], o.Outputs.shape));
    }

    private sealed class OnLossCheck(Action<TrainingContext> check) : TrainerCallback
    {
        public override void OnLoss(TrainingContext context) => check(context);
    }

    // Flatten and one linear layer, whose training step also scores the doubled logits at weight 0.5.
    private sealed class TwoOutputs : ClassificationModel
    {
        private readonly TorchSharp.Modules.Linear fc;

        public TwoOutputs()
            : base(nameof(TwoOutputs))
        {
            torch.manual_seed(0);
            fc = nn.Linear(16, 3);
            RegisterComponents();
        }

        public override string HeadName => "fc";

        public override IReadOnlyList<ModelStage> Stages => [];

        public override void ReplaceModule(string path, nn.Module<Tensor, Tensor> replacement) => throw new NotSupportedException();

        public override Tensor forward(Tensor input) => fc.call(input.flatten(1));

        public override IReadOnlyList<WeightedOutput> TrainingOutputs(Tensor inputs)
        {
            var logits = forward(inputs);
            return [new(logits, 1.0), new(logits * 2, 0.5)];
        }
    }
}
