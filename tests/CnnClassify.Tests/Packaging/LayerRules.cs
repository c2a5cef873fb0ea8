namespace CnnClassify.Tests.Packaging;

/// <summary>
/// Namespaces in layers, lowest first: a namespace may use only namespaces of lower layers.
/// </summary>
/// <param name="Layers">Each layer's namespaces, lowest layer first.</param>
internal sealed record LayerRules(IReadOnlyList<IReadOnlyList<string>> Layers)
{
    /// <summary>Every way <paramref name="graph"/> breaks the rules, one line each; empty when it keeps them.</summary>
    public IReadOnlyList<string> Violations(NamespaceGraph graph)
    {
        var level = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Layers.Count; i++)
        {
            foreach (var ns in Layers[i])
            {
                level[ns] = i;
            }
        }

        var found = new List<string>();
        foreach (var cycle in graph.Cycles())
        {
            found.Add($"cycle: {string.Join(", ", cycle)}");
        }

        foreach (var ns in graph.Namespaces)
        {
            if (!level.TryGetValue(ns, out var from))
            {
                found.Add($"{ns} is in no layer; place it in the list");
                continue;
            }

            foreach (var (to, example) in graph.Uses(ns))
            {
                if (level.TryGetValue(to, out var target) && target >= from)
                {
                    found.Add($"{ns} (layer {from}) uses {to} (layer {target}): {example}");
                }
            }
        }

        return found;
    }
}
