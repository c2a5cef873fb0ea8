namespace CnnClassify.Inference;

/// <summary>
/// The names under which a model's description (checkpoint, ONNX metadata) records its task, as
/// both predictors read them.
/// </summary>
public static class TaskNames
{
    /// <summary>One class per image: softmax over the classes, the highest one wins.</summary>
    public const string SingleLabel = "single-label";

    /// <summary>The tasks this version reads.</summary>
    public static IReadOnlyList<string> Known { get; } = [SingleLabel];

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
