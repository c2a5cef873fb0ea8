using CnnClassify.Training;

namespace CnnClassify.Tests.Training;

/// <summary>Records events, learning rates and weights as training runs.</summary>
internal sealed class RecordingCallback(string name = "recorder") : TrainerCallback
{
    public override string Name => name;

    public List<string> Events { get; } = [];

    public List<double> StepLearningRates { get; } = [];

    public List<float[]> WeightsAfterEpoch { get; } = [];

    public List<IReadOnlyList<double>> EpochLearningRates { get; } = [];

    public override void OnTrainBegin(TrainingContext context) => Events.Add("train-begin");

    public override void OnEpochBegin(TrainingContext context) => Events.Add($"epoch-begin {context.Epoch}");

    public override void OnBatchBegin(TrainingContext context) => Events.Add("batch-begin");

    public override void OnBatchEnd(TrainingContext context) => Events.Add("batch-end");

    public override void OnOptimizerStep(TrainingContext context)
    {
        Events.Add("step");
        StepLearningRates.Add(context.Trainer.LearningRates[0]);
    }

    public override void OnValidationBegin(TrainingContext context) => Events.Add("validation-begin");

    public override void OnValidationEnd(TrainingContext context) => Events.Add("validation-end");

    public override void OnEpochEnd(TrainingContext context)
    {
        Events.Add($"epoch-end {context.Epoch}");
        WeightsAfterEpoch.Add(TrainingData.Weights(context.Trainer.Model));
        EpochLearningRates.Add(context.Trainer.LearningRates);
    }

    public override void OnTrainEnd(TrainingContext context) => Events.Add("train-end");
}
