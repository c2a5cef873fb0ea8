using CnnClassify.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// The shape shared by the mobile blocks (MobileNet, MNASNet, EfficientNet): the output is a
/// branch of layers, plus the input when the stride is 1 and the width unchanged, with the branch
/// dropped per sample by stochastic depth in training where the block has it.
/// </summary>
public abstract class ResidualBranchBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly string _branchName;

    /// <summary>Creates the block.</summary>
    /// <param name="name">The module name.</param>
    /// <param name="branchName">The branch's state-dict name, such as <c>block</c>.</param>
    /// <param name="usesShortcut">Whether the input is added to the branch.</param>
    private protected ResidualBranchBlock(string name, string branchName, bool usesShortcut)
        : base(name)
    {
        _branchName = branchName;
        UsesShortcut = usesShortcut;
    }

    /// <summary>Whether the input is added to the output.</summary>
    public bool UsesShortcut { get; }

    /// <summary>The branch's layers.</summary>
    private protected abstract Sequential Branch { get; }

    /// <summary>Stochastic depth on the branch, or <see langword="null"/> for none.</summary>
    private protected virtual StochasticDepth? Drop => null;

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (!UsesShortcut)
        {
            return Branch.call(input);
        }

        using var scope = torch.NewDisposeScope();
        var branch = Branch.call(input);
        if (Drop is { } drop)
        {
            branch = drop.call(branch);
        }

        return branch.add(input, HeldScalars.One).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string path, OnnxValue input)
    {
        // Stochastic depth keeps every branch in evaluation mode.
        var branch = graph.Apply(Branch, OnnxGraph.Child(path, _branchName), input).Name;
        return UsesShortcut ? graph.Node("Add", [branch, input.Name], path) : branch;
    }
}
