using System.Text.Json;
using System.Text.Json.Nodes;
using CnnClassify.Inference;
using CnnClassify.Models;

namespace CnnClassify.Cli;

/// <summary>
/// A model description read from a JSON file, as <c>ModelConfiguration.ToJson</c> writes it (a
/// builder model's layers, or a zoo name with its input), so that <c>train --model FILE.json</c>
/// trains a model defined outside the zoo.
/// </summary>
internal static class ModelDescriptionFile
{
    /// <summary>Whether <paramref name="model"/> names a description file rather than a zoo model.</summary>
    public static bool IsFile(string model) => model.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads and checks the description.</summary>
    /// <exception cref="InvalidDataException">The file is missing, too large or not a valid description; the message names it.</exception>
    public static ModelConfiguration Read(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new FileNotFoundException($"--model: the model description '{path}' does not exist.", path);
        }

        if (file.Length > ModelLimits.MaxDescriptionBytes)
        {
            throw new InvalidDataException($"--model: the model description '{path}' holds {file.Length:N0} bytes, more than a description may ({ModelLimits.MaxDescriptionBytes:N0}).");
        }

        JsonNode? json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"--model: '{path}' is not valid JSON ({ex.Message}).", ex);
        }

        return ModelConfiguration.FromJson(json ?? throw new InvalidDataException($"--model: '{path}' holds no model description."), path);
    }
}
