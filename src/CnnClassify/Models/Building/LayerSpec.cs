using System.Text.Json;

namespace CnnClassify.Models;

/// <summary>
/// One <see cref="CnnBuilder"/> call as data: which layer, under what name, with which arguments,
/// so that <see cref="CnnBuilder.FromArchitecture"/> can repeat it.
/// </summary>
/// <param name="Kind">The builder method, such as <c>Conv</c> or <c>Residual</c>; <c>Custom</c> for layers made by code (<see cref="CnnBuilder.Add"/>, custom activations), which cannot be repeated.</param>
/// <param name="Name">The layer's name, its state-dict prefix.</param>
/// <param name="Arguments">The method's arguments by parameter name.</param>
public sealed record LayerSpec(string Kind, string Name, IReadOnlyDictionary<string, JsonElement> Arguments)
{
    /// <summary>The kind of layers that cannot be rebuilt from their description.</summary>
    public const string CustomKind = "Custom";

    /// <summary>Whether the layer can be rebuilt from this description.</summary>
    public bool IsRebuildable => Kind != CustomKind;
}
