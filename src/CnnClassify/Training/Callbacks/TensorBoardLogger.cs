using TorchSharp;
using TorchSharp.Modules;

namespace CnnClassify.Training;

/// <summary>Writes losses, accuracies and the learning rate per epoch as TensorBoard scalars, through TorchSharp's <c>SummaryWriter</c>.</summary>
public sealed class TensorBoardLogger : TrainerCallback
{
    private readonly SummaryWriter _writer;

    /// <summary>Creates the logger.</summary>
    /// <param name="logDirectory">The TensorBoard log folder.</param>
    public TensorBoardLogger(string logDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(logDirectory);
        LogDirectory = logDirectory;
        _writer = torch.utils.tensorboard.SummaryWriter(logDirectory);
    }

    /// <summary>The log folder.</summary>
    public string LogDirectory { get; }

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Trainer.IsMainProcess)
        {
            return;
        }

        var m = context.EpochMetrics!;
        var step = m.Epoch + 1;
        _writer.add_scalar("loss/train", (float)m.TrainLoss, step);
        _writer.add_scalar("accuracy/train", (float)m.TrainAccuracy, step);
        if (m.ValidationLoss is { } loss)
        {
            _writer.add_scalar("loss/validation", (float)loss, step);
            _writer.add_scalar("accuracy/validation", (float)m.ValidationAccuracy!.Value, step);
        }

        _writer.add_scalar("learning_rate", (float)m.LearningRate, step);
    }
}
