using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>A built-in activation (<see cref="CnnBuilder.Activation"/>); the shape is unchanged.</summary>
/// <param name="Name">The activation's name, such as <c>ReLU</c> or <c>LeakyReLU(0.1)</c> (<see cref="Layers.Activation.FromName"/>).</param>
public sealed record ActivationLayer([property: JsonPropertyName("name")] string Name) : LayerSpec
{
    /// <inheritdoc />
    public override string Describe(SampleShape input) => Name;

    internal override string NamePrefix => PrefixOf(Name);

    /// <summary>The default-name stem of an activation called <paramref name="name"/>: <c>leakyrelu</c> for <c>LeakyReLU(0.1)</c>.</summary>
    internal static string PrefixOf(string name) => new string((name ?? "").TakeWhile(char.IsLetterOrDigit).ToArray()).ToLowerInvariant();

    internal override void Validate()
    {
        if (ReferenceEquals(Named(Name), Layers.Activation.None))
        {
            throw new ArgumentException("Activation.None adds nothing; leave the call out instead.", "activation");
        }
    }

    internal override SampleShape OutputShape(SampleShape input) => input;

    internal override nn.Module<Tensor, Tensor> Create(SampleShape input) => Named(Name).CreateModule()!;

    /// <summary>The built-in activation called <paramref name="name"/>.</summary>
    /// <exception cref="FormatException">No built-in activation has that name.</exception>
    internal static Layers.Activation Named(string name) =>
        Layers.Activation.FromName(name ?? throw new FormatException("the activation's name is missing"))
        ?? throw new FormatException($"'{name}' is not a built-in activation");
}
