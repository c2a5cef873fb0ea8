namespace CnnClassify.Models;

/// <summary>A named part of a model's backbone, made of one or more modules.</summary>
/// <param name="Name">The stage's name, such as <c>layer3</c>.</param>
/// <param name="ModulePaths">Dotted paths of the modules in the stage, such as <c>features.4</c>.</param>
public sealed record ModelStage(string Name, IReadOnlyList<string> ModulePaths)
{
    /// <summary>A stage made of the single module at <paramref name="path"/>, named after it.</summary>
    /// <param name="path">The module's dotted path.</param>
    public static ModelStage Of(string path) => new(path, [path]);

    /// <summary>Whether the parameter or buffer named <paramref name="key"/> belongs to this stage.</summary>
    /// <param name="key">A state-dict key, such as <c>layer3.0.conv1.weight</c>.</param>
    public bool Contains(string key) => ModulePaths.Any(path => key.StartsWith(path + ".", StringComparison.Ordinal));
}
