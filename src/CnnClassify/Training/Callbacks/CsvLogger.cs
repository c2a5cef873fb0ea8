using CnnClassify.Serialization;

namespace CnnClassify.Training;

/// <summary>Writes the history to a CSV file after every epoch (header plus one line per epoch), atomically.</summary>
public sealed class CsvLogger : TrainerCallback
{
    /// <summary>Creates the logger.</summary>
    /// <param name="path">The CSV file, such as <c>history.csv</c>.</param>
    public CsvLogger(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
    }

    /// <summary>The CSV file.</summary>
    public string Path { get; }

    /// <summary>Removes the temporary files that a killed earlier run left for the CSV file, and no others.</summary>
    /// <param name="context">The training state.</param>
    public override void OnTrainBegin(TrainingContext context) => Serialization.AtomicFile.RemoveStale(Path);

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Trainer.IsMainProcess)
        {
            return;
        }

        var csv = context.Trainer.History.ToCsv();
        Serialization.AtomicFile.Write(Path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(csv);
        });
    }
}
