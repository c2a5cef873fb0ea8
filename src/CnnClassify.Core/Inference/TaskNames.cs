namespace CnnClassify.Inference;

/// <summary>
/// The names under which a model's description (checkpoint, ONNX metadata) records its task, as
/// both predictors read them.
/// </summary>
public static class TaskNames
{
    /// <summary>One class per image: softmax over the classes, the highest one wins.</summary>
    public const string SingleLabel = "single-label";

    /// <summary>Any number of classes per image: a sigmoid per class, every class at or above its threshold is predicted.</summary>
    public const string MultiLabel = "multi-label";

    /// <summary>The threshold a multi-label model applies to a class's probability when its description gives none: 0.5.</summary>
    public const double DefaultThreshold = 0.5;

    /// <summary>The tasks this version reads.</summary>
    public static IReadOnlyList<string> Known { get; } = [SingleLabel, MultiLabel];

    /// <summary>
    /// The problem with a description's decision thresholds, or <see langword="null"/> when there are
    /// none or one per class, each a finite probability in [0, 1].
    /// </summary>
    /// <param name="thresholds">The recorded thresholds.</param>
    /// <param name="numClasses">The model's classes.</param>
    public static string? CheckThresholds(IReadOnlyList<double>? thresholds, int numClasses) =>
        thresholds is null ? null
            : thresholds.Count != numClasses ? $"it gives {thresholds.Count:N0} thresholds for {numClasses:N0} classes"
            : thresholds.Any(t => !(t >= 0 && t <= 1)) ? "a threshold is not a probability in [0, 1]"
            : null;

    /// <summary>
    /// Checks a recorded task name; <see langword="null"/> (descriptions written before tasks were
    /// recorded) means <see cref="SingleLabel"/>.
    /// </summary>
    /// <param name="name">The recorded name.</param>
    /// <param name="source">The file or object the name came from, for the message.</param>
    /// <returns>The task's name.</returns>
    /// <exception cref="InvalidDataException">The name is not one this version knows; the message names <paramref name="source"/>.</exception>
    public static string Check(string? name, string source)
    {
        if (name is null)
        {
            return SingleLabel;
        }

        return Known.Contains(name, StringComparer.Ordinal)
            ? name
            : throw new InvalidDataException($"{source}: the task '{TerminalText.Escape(name.Length > 64 ? name[..64] + "..." : name)}' is not one this version knows ({string.Join(", ", Known)}).");
    }
}
