using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>Finds modules by dotted path and rebuilds sequences with one child replaced.</summary>
public static class ModuleSurgery
{
    /// <summary>The module at the dotted <paramref name="path"/> below <paramref name="root"/>, such as <c>classifier.6</c>.</summary>
    /// <param name="root">The module to search from.</param>
    /// <param name="path">Child names separated by dots.</param>
    /// <exception cref="ArgumentException">No module has that path; the message lists the children where the search stopped.</exception>
    public static nn.Module Find(nn.Module root, string path)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var module = root;
        foreach (var name in path.Split('.'))
        {
            var children = module.named_children().ToList();
            module = children.FirstOrDefault(child => child.name == name).module
                ?? throw new ArgumentException($"No module '{path}': '{name}' is not among [{string.Join(", ", children.Select(c => c.name))}].", nameof(path));
        }

        return module;
    }

    /// <summary>A new sequence with the same children, except <paramref name="name"/> replaced by <paramref name="replacement"/>.</summary>
    /// <param name="source">The sequence; its other children are shared, not copied.</param>
    /// <param name="name">The child's name, such as <c>6</c>.</param>
    /// <param name="replacement">The new child.</param>
    /// <exception cref="ArgumentException"><paramref name="source"/> has no child <paramref name="name"/>.</exception>
    public static Sequential WithChild(Sequential source, string name, nn.Module<Tensor, Tensor> replacement)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(replacement);
        var children = source.named_children().ToList();
        if (children.All(child => child.name != name))
        {
            throw new ArgumentException($"The sequence has no child '{name}'; it has [{string.Join(", ", children.Select(c => c.name))}].", nameof(name));
        }

        return nn.Sequential(children.Select(child =>
            (child.name, child.name == name ? replacement : (nn.Module<Tensor, Tensor>)child.module)));
    }
}
