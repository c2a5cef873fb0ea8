using static TorchSharp.torch;

namespace CnnClassify;

/// <summary>Walks a module tree in registration order, as PyTorch's <c>named_modules</c> does.</summary>
internal static class ModuleTree
{
    /// <summary>The module itself (with an empty name) and every module below it, each once, parents before children.</summary>
    public static IEnumerable<(string Name, nn.Module Module, int Depth)> Walk(nn.Module root)
    {
        var seen = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        return Walk(root, string.Empty, 0, seen);
    }

    private static IEnumerable<(string Name, nn.Module Module, int Depth)> Walk(nn.Module module, string name, int depth, HashSet<nn.Module> seen)
    {
        if (!seen.Add(module))
        {
            yield break;
        }

        yield return (name, module, depth);
        foreach (var (childName, child) in module.named_children())
        {
            var path = name.Length == 0 ? childName : $"{name}.{childName}";
            foreach (var entry in Walk(child, path, depth + 1, seen))
            {
                yield return entry;
            }
        }
    }
}
