using ArchUnitNET.Domain;
using ArchUnitNET.Domain.Dependencies;
using ArchUnitNET.Loader;

namespace CnnClassify.Tests.Packaging;

/// <summary>
/// The namespaces of a compiled assembly and which use which, read from its IL (signatures,
/// method bodies, attributes and generic arguments) by ArchUnitNET.
/// </summary>
internal sealed class NamespaceGraph
{
    private readonly Dictionary<string, SortedDictionary<string, string>> _edges;

    private NamespaceGraph(Dictionary<string, SortedDictionary<string, string>> edges) => _edges = edges;

    /// <summary>The namespaces that have types, in name order.</summary>
    public IEnumerable<string> Namespaces => _edges.Keys.Order(StringComparer.Ordinal);

    /// <summary>Reads the namespaces under <paramref name="prefix"/> in one assembly.</summary>
    public static NamespaceGraph Read(System.Reflection.Assembly assembly, string prefix)
    {
        var architecture = new ArchLoader().LoadAssemblies(assembly).Build();
        var edges = new Dictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var type in architecture.Types)
        {
            var from = type.Namespace?.FullName is { } source ? Owner(source, prefix) : null;
            if (from is null) continue;
            if (!edges.TryGetValue(from, out var targets))
                edges[from] = targets = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var dependency in type.Dependencies)
            {
                if (dependency.Target?.Namespace?.FullName is not { } target) continue;
                if (dependency.Target.Assembly?.FullName != type.Assembly.FullName) continue;
                var to = Owner(target, prefix);
                if (to is null || to == from || targets.ContainsKey(to)) continue;
                targets[to] = $"{type.FullName} -> {dependency.Target.FullName}";
            }
        }
        return new NamespaceGraph(edges);
    }

    /// <summary>The namespaces <paramref name="from"/> uses, each with one example of the use.</summary>
    public IReadOnlyDictionary<string, string> Uses(string from) =>
        _edges.TryGetValue(from, out var targets) ? targets : new SortedDictionary<string, string>();

    /// <summary>
    /// Every strongly connected group of two or more namespaces (Tarjan's algorithm): each is a
    /// cycle, or several cycles sharing namespaces.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var groups = new List<IReadOnlyList<string>>();
        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in Uses(node).Keys)
            {
                if (!index.TryGetValue(next, out var seen))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = Math.Min(low[node], seen);
                }
            }
            if (low[node] != index[node]) return;
            var group = new List<string>();
            string member;
            do
            {
                member = stack.Pop();
                onStack.Remove(member);
                group.Add(member);
            } while (member != node);
            if (group.Count > 1) groups.Add(group.Order(StringComparer.Ordinal).ToList());
        }
        foreach (var node in Namespaces)
            if (!index.ContainsKey(node)) Visit(node);
        return groups;
    }

    // Namespaces outside the prefix (TorchSharp, System, the tests) are not part of the graph.
    private static string? Owner(string ns, string prefix) =>
        ns == prefix || ns.StartsWith(prefix + ".", StringComparison.Ordinal) ? ns : null;
}
